import Synchronization
import Testing

@testable import Desync

/// The pool's threads: how many start for a burst, what happens when one cannot start, and how
/// they end (a dropped scheduler, `shutdown`).
@Suite("Pool threads: starting, failing to start, retiring")
struct PoolThreadTests {
    /// Threads of this process now.
    private static var processThreads: Int {
        guard let directory = opendir("/proc/self/task") else { return -1 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { count += 1 }
        }
        return count
    }

    /// Queues one job on each of `count` new objects; each job waits (at most 5 s) until all of
    /// them have started, so they all start only if they run on `count` threads at once.
    /// Returns how many distinct threads ran them, or nil if they did not all start together.
    private static func burst(_ count: Int, on scheduler: Scheduler) -> Int? {
        let objects = (0..<count).map { _ in Desync(0, scheduler: scheduler) }
        let started = Atomic<Int>(0)
        let threads = TestLock<Set<UInt>>([])
        let together = Atomic<Int>(0)
        // Once one job gave up, the others (run one after another) do not wait in turn.
        let gaveUp = Atomic<Bool>(false)
        let finished = Latch()
        for object in objects {
            object.async { _ in
                threads.withLock { _ = $0.insert(currentThread) }
                started.add(1, ordering: .relaxed)
                if eventually(seconds: 5, {
                    started.load(ordering: .relaxed) == count || gaveUp.load(ordering: .relaxed)
                }), !gaveUp.load(ordering: .relaxed) {
                    together.add(1, ordering: .relaxed)
                } else {
                    gaveUp.store(true, ordering: .relaxed)
                }
                finished.open()
            }
        }
        for _ in 0..<count { _ = finished.wait(seconds: 30) }
        guard together.load(ordering: .relaxed) == count else { return nil }
        return threads.withLock { $0.count }
    }

    /// Runs one job on a pool thread and waits until the pool is idle again, so the threads
    /// it has are asleep.
    private static func warm(_ scheduler: Scheduler, threads: Int) {
        #expect(burst(threads, on: scheduler) == threads)
        #expect(eventually { scheduler.stats.threadsIdle == threads })
    }

    @Test("a burst of N ready jobs on N objects runs on N threads when one idle thread could take it first", arguments: [4, 8])
    func burstFromOneIdleThread(jobs: Int) {
        for round in 0..<3 {
            let scheduler = Scheduler(maxThreads: jobs)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            Self.warm(scheduler, threads: 1)
            let threads = Self.burst(jobs, on: scheduler)
            #expect(threads == jobs, "round \(round): \(scheduler.stats)")
        }
    }

    @Test("after maxThreads goes from 2 to 4, a burst of 4 runs on 4 threads")
    func burstAfterRaising() {
        for round in 0..<3 {
            let scheduler = Scheduler(maxThreads: 2)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            Self.warm(scheduler, threads: 2)
            scheduler.maxThreads = 4
            let threads = Self.burst(4, on: scheduler)
            #expect(threads == 4, "round \(round): \(scheduler.stats)")
        }
    }

    @Test("raising maxThreads while jobs wait starts threads for them at once")
    func raisingWhileReady() {
        let scheduler = Scheduler(maxThreads: 2)
        defer { scheduler.shutdown(timeout: .seconds(10)) }
        let release = Latch()
        let holding = Atomic<Int>(0)
        let held = (0..<2).map { _ in Desync(0, scheduler: scheduler) }
        for object in held {
            object.async { _ in
                holding.add(1, ordering: .relaxed)
                _ = release.wait(seconds: 20)
            }
        }
        #expect(eventually { holding.load(ordering: .relaxed) == 2 })
        // Both threads are held; the next burst waits on the ready list until the pool grows.
        let waiting = Self.burstInBackground(4, on: scheduler)
        #expect(eventually { scheduler.stats.readyQueues == 4 })
        scheduler.maxThreads = 6
        #expect(waiting.result() == 4)
        release.open()
        release.open()
    }

    /// `burst` on another thread; `result()` waits for it (bounded).
    private static func burstInBackground(_ count: Int, on scheduler: Scheduler) -> BackgroundResult {
        let result = BackgroundResult()
        Thread.detach { result.set(burst(count, on: scheduler)) }
        return result
    }

    @Test("a pool whose thread starts fail runs on the threads that started")
    func someStartsFail() {
        let starts = Atomic<Int>(0)
        let scheduler = Scheduler(maxThreads: 8) { body in
            // The first two threads start; every later one fails as pthread_create would (EAGAIN).
            guard starts.add(1, ordering: .relaxed).newValue <= 2 else { return EAGAIN }
            return WorkerThread.start(body)
        }
        defer { scheduler.shutdown(timeout: .seconds(10)) }
        let objects = (0..<8).map { _ in Desync(0, scheduler: scheduler) }
        let ran = Atomic<Int>(0)
        for object in objects {
            object.async { value in
                usleep(20_000)
                value += 1
                ran.add(1, ordering: .relaxed)
            }
        }
        #expect(eventually { ran.load(ordering: .relaxed) == 8 })
        let stats = scheduler.stats
        #expect(stats.threadsAlive == 2)
        #expect(stats.threadStartFailures >= 1)
        #expect(objects.allSatisfy { $0.sync { $0 } == 1 })
    }

    @Test("with no thread able to start, jobs run on the callers that wait for them, as with 0 threads")
    func noStartSucceeds() throws {
        let scheduler = Scheduler(maxThreads: 4) { _ in EAGAIN }
        let objects = (0..<8).map { _ in Desync(0, scheduler: scheduler) }
        for object in objects { object.async { $0 += 1 } }
        let caller = currentThread
        let future = objects[0].future { _ in currentThread }
        #expect(try future.wait(timeout: .seconds(10)) == caller)
        #expect(objects.allSatisfy { $0.sync { $0 } == 1 })
        let stats = scheduler.stats
        #expect(stats.threadsAlive == 0 && stats.threadStartFailures >= 1)
        #expect(stats.jobsRunByCallers == stats.jobsRun)
    }

    @Test("a thread that cannot start is reported once, on one line of stderr")
    func startFailureWarnsOnce() async {
        let result = await #expect(processExitsWith: .success, observing: [\.standardErrorContent]) {
            let starts = Atomic<Int>(0)
            let scheduler = Scheduler(maxThreads: 8) { body in
                guard starts.add(1, ordering: .relaxed).newValue <= 1 else { return EAGAIN }
                return WorkerThread.start(body)
            }
            let objects = (0..<8).map { _ in Desync(0, scheduler: scheduler) }
            for _ in 0..<3 {
                for object in objects { object.async { _ in usleep(1000) } }
                for object in objects { object.sync { _ in } }
            }
        }
        let errors = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        let lines = errors.split(separator: "\n").filter { $0.hasPrefix("desync:") }
        #expect(lines == ["desync: could not start a pool thread (pthread_create: 11); running on 1 thread"], "\(errors)")
    }

    /// In a process of its own: the count is the whole process's, and tests running side by side
    /// start threads of their own meanwhile.
    @Test("1,000 schedulers made and dropped, each after a job on a pool thread, leave no thread behind")
    func droppedSchedulersRetireThreads() async {
        await #expect(processExitsWith: .success) {
            let before = Self.processThreads
            for _ in 0..<1000 {
                let scheduler = Scheduler(maxThreads: 1)
                let ran = Latch()
                Desync(0, scheduler: scheduler).async { _ in ran.open() }
                guard ran.wait() else { exit(2) }
            }
            // Each thread leaves once its scheduler is gone and it is idle; a few may still be exiting.
            let settled = eventually(seconds: 20) { Self.processThreads <= before + 2 }
            exit(settled ? 0 : 1)
        }
    }

    @Test("shutdown runs what is ready, then returns with no thread left; later work runs on callers")
    func shutdownDrains() {
        let scheduler = Scheduler(maxThreads: 2)
        let objects = (0..<8).map { _ in Desync(0, scheduler: scheduler) }
        let ran = Atomic<Int>(0)
        for object in objects {
            for _ in 0..<50 {
                object.async { _ in
                    usleep(100)
                    ran.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(scheduler.shutdown(timeout: .seconds(20)))
        #expect(ran.load(ordering: .relaxed) == 400)
        let stats = scheduler.stats
        #expect(stats.threadsAlive == 0 && stats.maxThreads == 0 && stats.readyQueues == 0)
        // From now on as with 0 threads: queued work waits for a caller.
        objects[0].async { _ in ran.add(1, ordering: .relaxed) }
        usleep(20_000)
        #expect(ran.load(ordering: .relaxed) == 400)
        objects[0].sync { _ in }
        #expect(ran.load(ordering: .relaxed) == 401)
        // Raising maxThreads starts the pool again.
        scheduler.maxThreads = 1
        let again = Latch()
        objects[1].async { _ in again.open() }
        #expect(again.wait())
        #expect(scheduler.shutdown(timeout: .seconds(10)))
    }

    @Test("shutdown from a job on the pool's own thread does not wait for itself")
    func shutdownFromOwnThread() {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let returned = Atomic<Int>(0)
        let done = Latch()
        // `async` and a latch, not a future's wait, which could run the job on this thread.
        object.async { _ in
            returned.store(scheduler.shutdown(timeout: .seconds(10)) ? 1 : 2, ordering: .relaxed)
            done.open()
        }
        #expect(done.wait())
        #expect(returned.load(ordering: .relaxed) == 2)
        #expect(eventually { scheduler.stats.threadsAlive == 0 })
    }

    @Test("shutdown with a timeout returns false while a job still holds a thread")
    func shutdownTimesOut() {
        let scheduler = Scheduler(maxThreads: 1)
        let release = Latch()
        let started = Latch()
        Desync(0, scheduler: scheduler).async { _ in
            started.open()
            _ = release.wait(seconds: 20)
        }
        #expect(started.wait())
        #expect(!scheduler.shutdown(timeout: .milliseconds(50)))
        release.open()
        #expect(scheduler.shutdown(timeout: .seconds(10)))
    }
}

/// A value set once by another thread, read with a bounded wait.
private final class BackgroundResult: Sendable {
    private let value = TestLock<Int??>(nil)
    private let ready = Latch()

    func set(_ result: Int?) {
        value.withLock { $0 = .some(result) }
        ready.open()
    }

    func result() -> Int? {
        guard ready.wait(seconds: 30) else { return nil }
        return value.withLock { $0 ?? nil }
    }
}
