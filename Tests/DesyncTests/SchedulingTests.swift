#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing

@testable import Desync

@Suite("The pool: parallelism, zero threads, resizing, no deadlock")
struct SchedulingTests {
    @Test("separate objects run in parallel: two jobs each wait for the other to start")
    func separateObjectsRunInParallel() {
        for _ in 0..<20 {
            let scheduler = Scheduler(maxThreads: 2)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            let first = Desync(0, scheduler: scheduler)
            let second = Desync(0, scheduler: scheduler)
            let firstStarted = Latch()
            let secondStarted = Latch()
            let sawEachOther = Atomic<Int>(0)
            let done = Latch()
            first.async { _ in
                firstStarted.open()
                if secondStarted.wait(seconds: 10) { sawEachOther.add(1, ordering: .relaxed) }
                done.open()
            }
            second.async { _ in
                secondStarted.open()
                if firstStarted.wait(seconds: 10) { sawEachOther.add(1, ordering: .relaxed) }
                done.open()
            }
            #expect(done.wait() && done.wait())
            #expect(sawEachOther.load(ordering: .relaxed) == 2)
        }
    }

    @Test("with 0 threads, async jobs wait for a sync, then run on its thread, in order")
    func zeroThreadsRunOnSync() {
        let scheduler = Scheduler(maxThreads: 0)
        let ran = Atomic<Int>(0)
        let object = Desync([UInt](), scheduler: scheduler)
        for _ in 0..<100 {
            object.async { threads in
                ran.add(1, ordering: .relaxed)
                threads.append(currentThread)
            }
        }
        // Nothing runs them: give them every chance to, then look.
        usleep(50_000)
        #expect(ran.load(ordering: .relaxed) == 0)
        #expect(object.pending == 100)
        let caller = currentThread
        let threads = object.sync { $0 }
        #expect(ran.load(ordering: .relaxed) == 100)
        #expect(threads.count == 100 && threads.allSatisfy { $0 == caller })
        #expect(scheduler.stats.threadsAlive == 0)
    }

    @Test("with 0 threads, a future's wait runs the queue on the waiting thread")
    func zeroThreadsFutureWait() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let object = Desync(1, scheduler: scheduler)
        object.async { $0 += 1 }
        let future = object.future { $0 * 10 }
        #expect(!future.isDone)
        #expect(try future.wait(timeout: .seconds(10)) == 20)
        #expect(future.isDone)
    }

    @Test("a pool full of blocked jobs cannot deadlock a sync from outside")
    func fullPoolDoesNotBlockOutsideSync() {
        for _ in 0..<5 {
            let scheduler = Scheduler(maxThreads: 2)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            let held = Desync(0, scheduler: scheduler)
            let release = Latch()
            let holding = Latch()
            held.async { _ in
                holding.open()
                _ = release.wait(seconds: 20)
            }
            #expect(holding.wait())
            let finished = Atomic<Int>(0)
            let waiters = (0..<100).map { _ in Desync(0, scheduler: scheduler) }
            for waiter in waiters {
                waiter.async { _ in
                    held.sync { $0 += 1 }
                    finished.add(1, ordering: .relaxed)
                }
            }
            // Every pool thread is now stuck behind `held`; an outside sync still gets through,
            // running queued work itself.
            let other = Desync(0, scheduler: scheduler)
            other.async { $0 += 1 }
            #expect(other.sync { $0 } == 1)
            release.open()
            #expect(eventually { finished.load(ordering: .relaxed) == 100 })
            #expect(held.sync { $0 } == 100)
        }
    }

    @Test("raising maxThreads while work is queued starts it; lowering it retires idle threads")
    func resizingThePool() {
        let scheduler = Scheduler(maxThreads: 0)
        let ran = Atomic<Int>(0)
        let objects = (0..<10).map { _ in Desync(0, scheduler: scheduler) }
        for object in objects {
            for _ in 0..<10 { object.async { _ in ran.add(1, ordering: .relaxed) } }
        }
        usleep(20_000)
        #expect(ran.load(ordering: .relaxed) == 0)
        scheduler.maxThreads = 2
        #expect(eventually { ran.load(ordering: .relaxed) == 100 })
        #expect(scheduler.stats.threadsAlive <= 2)
        scheduler.maxThreads = 0
        #expect(eventually { scheduler.stats.threadsAlive == 0 })
        // With the pool at 0 again, work waits for a sync.
        objects[0].async { _ in ran.add(1, ordering: .relaxed) }
        usleep(20_000)
        #expect(ran.load(ordering: .relaxed) == 100)
        objects[0].sync { _ in }
        #expect(ran.load(ordering: .relaxed) == 101)
    }

    @Test("lowering maxThreads while threads are busy retires them after their turn")
    func loweringWhileBusy() {
        let scheduler = Scheduler(maxThreads: 2)
        let release = Latch()
        let started = Latch()
        let object = Desync(0, scheduler: scheduler)
        object.async { _ in
            started.open()
            _ = release.wait()
        }
        #expect(started.wait())
        scheduler.maxThreads = 0
        release.open()
        #expect(eventually { scheduler.stats.threadsAlive == 0 })
    }

    @Test("idle workers sleep: no thread is busy when nothing is queued")
    func idleWorkersSleep() {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        for _ in 0..<100 { object.async { $0 += 1 } }
        _ = object.sync { $0 }
        #expect(eventually {
            let stats = scheduler.stats
            return stats.threadsBusy == 0 && stats.readyQueues == 0
                && stats.threadsIdle == stats.threadsAlive
        })
        #expect(scheduler.stats.jobsRun == 101)
    }

    @Test("stats read right after a result came back count that job and every one before it",
          arguments: [1, 2, 4])
    func statsCountJobsBeforeTheirResult(threads: Int) throws {
        // The pool thread used to add a turn's counts when the turn ended, after the result was
        // handed back: CI read 0 here once.
        let scheduler = Scheduler(maxThreads: threads)
        defer { scheduler.shutdown(timeout: .seconds(10)) }
        let object = Desync(0, scheduler: scheduler)
        var expected = 0
        for _ in 0..<300 {
            for _ in 0..<20 { object.async { $0 += 1 } }
            let future = object.future { $0 }
            _ = try future.wait()
            expected += 21
            let seen = scheduler.stats.jobsRun
            #expect(seen >= expected)
            if seen < expected { break }
        }
    }

    @Test("the shared scheduler defaults to two threads per CPU and accepts DESYNC_THREADS")
    func defaults() {
        #expect(Scheduler.defaultMaxThreads >= 2)
        #expect(Scheduler.defaultMaxThreads % 2 == 0)
    }

    @Test("a queue fed faster than it drains does not starve another ready queue")
    func fairness() {
        let scheduler = Scheduler(maxThreads: 1)
        let busy = Desync(0, scheduler: scheduler)
        let keepFeeding = Atomic<Bool>(true)
        let fed = Latch()
        // A job that requeues itself forever would monopolise the one thread without the turn limit.
        @Sendable func feed(_ count: inout Int) {
            count += 1
            if count == 1000 { fed.open() }
            if keepFeeding.load(ordering: .relaxed) { busy.async(feed) }
        }
        busy.async(feed)
        #expect(fed.wait())
        let other = Desync(0, scheduler: scheduler)
        let otherRan = Latch()
        other.async { _ in otherRan.open() }
        #expect(otherRan.wait())
        keepFeeding.store(false, ordering: .relaxed)
        #expect(busy.sync { $0 } > 1000)
    }

    /// Threads ending their turn relist their queue without waking anyone, and retire when the
    /// pool shrank: whatever the resizing, no ready queue may be left with no thread to run it.
    @Test("resizing the pool at random while long queues run never strands a ready queue", arguments: [1, 0])
    func resizingNeverStrandsAQueue(smallest: Int) {
        for round in 0..<5 {
            let scheduler = Scheduler(maxThreads: 2)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            let ran = Atomic<Int>(0)
            let objects = (0..<40).map { _ in Desync(0, scheduler: scheduler) }
            let stop = Atomic<Bool>(false)
            let resizerDone = Latch()
            Thread.detach {
                var random = SystemRandomNumberGenerator()
                while !stop.load(ordering: .relaxed) {
                    scheduler.maxThreads = Int.random(in: smallest...4, using: &random)
                    usleep(UInt32.random(in: 0...300, using: &random))
                }
                resizerDone.open()
            }
            let perObject = 1500
            for _ in 0..<perObject {
                for object in objects { object.async { _ in ran.add(1, ordering: .relaxed) } }
            }
            stop.store(true, ordering: .relaxed)
            #expect(resizerDone.wait())
            scheduler.maxThreads = 3
            let total = objects.count * perObject
            let done = eventually(seconds: 30) { ran.load(ordering: .relaxed) == total }
            #expect(done, "round \(round): \(ran.load(ordering: .relaxed)) of \(total) jobs ran; \(scheduler.stats)")
            if !done { return }
        }
    }
}
