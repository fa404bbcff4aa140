import DequeModule
import Synchronization
import Testing

@testable import Desync

/// The queue's batch moves, checked on the state machine itself: what a turn takes and what it
/// gives back must come out in submission order whichever side of `giveBack` is longer.
@Suite("QueueState takes and gives back jobs in order")
struct QueueStateTests {
    /// A job that appends `number` to `log` when run.
    private static func job(_ number: Int, log: LogBox) -> Job {
        Job(kind: .async, body: ClosureJob { (_: inout Int) in log.append(number) })
    }

    /// Runs every job of `jobs` in order and returns what they logged.
    private static func run(_ jobs: inout JobList, log: LogBox) -> [Int] {
        var value = 0
        let queue = Desync(0, scheduler: Scheduler(maxThreads: 0)).queue
        while let job = jobs.popFirst() {
            withUnsafeMutablePointer(to: &value) { job.body.run(on: UnsafeMutableRawPointer($0), queue: queue) }
        }
        return log.take()
    }

    @Test("take(upTo:) takes the oldest jobs and leaves the rest queued", arguments: [0, 1, 5, 10, 11])
    func partialTake(limit: Int) {
        let log = LogBox()
        var state = QueueState()
        for number in 0..<10 { _ = state.submit(Self.job(number, log: log)) }
        var batch = JobList()
        state.take(upTo: limit, into: &batch)
        let taken = batch.count
        #expect(taken == min(limit, 10))
        let left = state.queued
        #expect(left == 10 - min(limit, 10))
        #expect(Self.run(&batch, log: log) == Array(0..<min(limit, 10)))
    }

    @Test("giveBack puts untaken jobs before newer ones", arguments: [(3, 0), (3, 1), (3, 7), (7, 3), (100, 2), (2, 100)])
    func giveBackOrder(untakenCount: Int, newerCount: Int) {
        let log = LogBox()
        var state = QueueState()
        for number in 0..<untakenCount { _ = state.submit(Self.job(number, log: log)) }
        var batch = JobList()
        state.take(upTo: .max, into: &batch)
        for number in untakenCount..<(untakenCount + newerCount) { _ = state.submit(Self.job(number, log: log)) }
        state.giveBack(&batch)
        let batchEmptied = batch.isEmpty
        #expect(batchEmptied)
        state.take(upTo: .max, into: &batch)
        #expect(Self.run(&batch, log: log) == Array(0..<(untakenCount + newerCount)))
    }
}

@Suite("Desync.activity")
struct ActivityTests {
    @Test("every queued job and every inline sync moves the count of changes")
    func countsChanges() {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        let start = object.activity
        #expect(start.pending == 0)
        object.async { $0 += 1 }
        let queued = object.activity
        #expect(queued.pending == 1)
        #expect(queued.changes == start.changes + 1)
        // With 0 threads the sync runs the queued job, then its own (queued behind it).
        #expect(object.sync { $0 } == 1)
        let drained = object.activity
        #expect(drained.pending == 0)
        #expect(drained.changes == start.changes + 2)
        // On an idle object a sync runs inline, without queuing: still a change.
        _ = object.sync { $0 }
        #expect(object.activity == (pending: 0, changes: start.changes + 3))
    }
}

/// A log the test jobs can write from a `@Sendable` closure.
private final class LogBox: Sendable {
    private let numbers = TestLock<[Int]>([])
    func append(_ number: Int) { numbers.withLock { $0.append(number) } }
    func take() -> [Int] { numbers.withLock { log in defer { log = [] }; return log } }
}
