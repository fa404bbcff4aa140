import Synchronization
import Testing

@testable import Desync

@Suite("Nothing queued is lost")
struct LifetimeTests {
    @Test("dropping the last reference with jobs queued: every job still runs", arguments: [1, 2])
    func droppedObjectFinishesItsWork(threads: Int) {
        for _ in 0..<20 {
            let scheduler = Scheduler(maxThreads: threads)
            defer { scheduler.shutdown(timeout: .seconds(10)) }
            let ran = Atomic<Int>(0)
            let release = Latch()
            do {
                let object = Desync(0, scheduler: scheduler)
                object.async { _ in _ = release.wait() }
                for _ in 0..<100 {
                    object.async { _ in ran.add(1, ordering: .relaxed) }
                }
            }
            release.open()
            #expect(eventually { ran.load(ordering: .relaxed) == 100 })
        }
    }

    @Test("an object paused on after keeps its queue alive without a reference")
    func droppedPausedObject() {
        let scheduler = Scheduler(maxThreads: 2)
        let ran = Atomic<Int>(0)
        let source = Desync(0, scheduler: scheduler)
        let release = Latch()
        let first = source.future { _ in _ = release.wait(); return 1 }
        do {
            let object = Desync(0, scheduler: scheduler)
            _ = object.after(first) { _, _ in ran.add(1, ordering: .relaxed) }
            object.async { _ in ran.add(1, ordering: .relaxed) }
        }
        release.open()
        #expect(eventually { ran.load(ordering: .relaxed) == 2 })
    }

    @Test("the value is released once its object and queued work are gone")
    func valueIsReleased() {
        final class Witness: Sendable {
            let onDeinit: @Sendable () -> Void
            init(_ onDeinit: @escaping @Sendable () -> Void) { self.onDeinit = onDeinit }
            deinit { onDeinit() }
        }
        let released = Atomic<Bool>(false)
        let scheduler = Scheduler(maxThreads: 1)
        do {
            let object = Desync(Witness { released.store(true, ordering: .relaxed) }, scheduler: scheduler)
            for _ in 0..<10 { object.async { _ in } }
        }
        #expect(eventually { released.load(ordering: .relaxed) })
    }

    /// A waiting caller that runs a listed queue takes it off the ready list: with 0 pool threads
    /// nothing else would, and the list kept every such object alive (an adversarial review saw
    /// 1000 of 1000 values alive after `future { }.wait()` on 1000 new objects).
    @Test("objects whose jobs a waiting caller ran are released, with 0 pool threads too", arguments: [0, 2])
    func objectsRunByWaitersAreReleased(threads: Int) throws {
        let releases = Releases()
        let scheduler = Scheduler(maxThreads: threads)
        defer { scheduler.shutdown(timeout: .seconds(10)) }
        for round in 0..<300 {
            let object = Desync(Released(releases), scheduler: scheduler)
            if round.isMultiple(of: 2) {
                _ = try object.future { _ in round }.wait()
            } else {
                object.async { _ in }
                object.sync { _ in }
            }
        }
        #expect(eventually { releases.count.load(ordering: .relaxed) == 300 }, "\(releases.count.load(ordering: .relaxed)) of 300 released")
        #expect(scheduler.stats.readyQueues == 0)
    }

    /// Jobs that ran are destroyed in bursts (`QueueCore.ranJobsKept`), not one by one: what they
    /// captured is still released, in every way a turn can end (the turn limit, a closed gate,
    /// a waiting caller's own job, the queue running dry), with pool threads and without.
    @Test("what every job captured is released once the jobs ran", arguments: [0, 1, 2])
    func capturesAreReleased(threads: Int) {
        let released = Releases()
        let scheduler = Scheduler(maxThreads: threads)
        let object = Desync(0, scheduler: scheduler)
        let gateOpener = Desync(0, scheduler: scheduler)
        let jobs = 1000
        for index in 0..<jobs {
            let capture = Released(released)
            if index == 500 {
                // A closed gate in the middle of a batch: the jobs before it ran, the rest wait.
                let first = gateOpener.future { _ in 1 }
                _ = object.after(first) { _, _ in withExtendedLifetime(capture) {} }
            } else {
                object.async { value in withExtendedLifetime(capture) { value += 1 } }
            }
        }
        // With 0 threads the sync runs every job on this thread.
        #expect(object.sync { $0 } == jobs - 1)
        #expect(eventually { released.count.load(ordering: .relaxed) == jobs })
    }

    /// Jobs are destroyed in bursts, but never after a later job has handed back its result: a
    /// `sync` that returns has seen every earlier job's captures released, as if each job were
    /// destroyed right after it ran. The worker's batch is made [async holding a capture, sync,
    /// a job that blocks], so that the burst would otherwise come after the sync returned.
    @Test("an async job's captures are released before a later sync returns", arguments: 0..<5)
    func capturesReleasedBeforeLaterSync(round: Int) {
        final class Flag: Sendable { let value = Atomic<Bool>(false) }
        final class Capture: Sendable {
            let flag: Flag
            init(_ flag: Flag) { self.flag = flag }
            deinit { flag.value.store(true, ordering: .sequentiallyConsistent) }
        }
        let object = Desync(0, scheduler: Scheduler(maxThreads: 1))
        let first = Latch(), last = Latch(), started = Latch()
        let flag = Flag()
        object.async { _ in started.open(); _ = first.wait() }
        #expect(started.wait())
        do {
            let capture = Capture(flag)
            object.async { value in withExtendedLifetime(capture) { value += 1 } }
        }
        Thread.detach {
            // Once the sync below is queued: a blocking job behind it, then let the worker go.
            _ = eventually { object.pending >= 3 }
            object.async { _ in _ = last.wait() }
            _ = eventually { object.pending >= 4 }
            first.open()
        }
        #expect(object.sync { $0 } == 1)
        let releasedWhenSyncReturned = flag.value.load(ordering: .sequentiallyConsistent)
        last.open()
        #expect(releasedWhenSyncReturned, "the async job's capture was still alive after sync returned")
    }
}

/// How many `Released` values were freed.
private final class Releases: Sendable {
    let count = Atomic<Int>(0)
}

/// A value that counts itself in its `Releases` when it is freed.
private final class Released: Sendable {
    let releases: Releases
    init(_ releases: Releases) { self.releases = releases }
    deinit { releases.count.add(1, ordering: .relaxed) }
}
