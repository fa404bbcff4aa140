import Synchronization
import Testing

@testable import Desync

@Suite("Jobs on one object run one at a time, in order, each once")
struct OrderingTests {
    @Test("1000 async jobs run in queue order, each exactly once", arguments: [0, 1, 4])
    func asyncOrder(threads: Int) {
        let scheduler = Scheduler(maxThreads: threads)
        let log = Desync([Int](), scheduler: scheduler)
        for index in 0..<1000 {
            log.async { $0.append(index) }
        }
        let seen = log.sync { $0 }
        #expect(seen == Array(0..<1000))
    }

    @Test("jobs never overlap on one object")
    func noOverlap() {
        let scheduler = Scheduler(maxThreads: 4)
        let inside = Atomic<Int>(0)
        let overlaps = Atomic<Int>(0)
        let object = Desync(0, scheduler: scheduler)
        for _ in 0..<1000 {
            object.async { count in
                if inside.add(1, ordering: .sequentiallyConsistent).newValue != 1 {
                    overlaps.add(1, ordering: .relaxed)
                }
                count += 1
                inside.subtract(1, ordering: .sequentiallyConsistent)
            }
        }
        #expect(object.sync { $0 } == 1000)
        #expect(overlaps.load(ordering: .relaxed) == 0)
    }

    @Test("sync, future and async keep one order")
    func mixedOrder() throws {
        let scheduler = Scheduler(maxThreads: 2)
        let log = Desync([String](), scheduler: scheduler)
        log.async { $0.append("a") }
        let future = log.future { log -> Int in log.append("f"); return log.count }
        log.async { $0.append("b") }
        let seen = log.sync { $0 }
        #expect(seen == ["a", "f", "b"])
        #expect(try future.wait() == 2)
    }

    @Test("sync on an idle, empty object runs on the calling thread")
    func syncRunsInline() {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 2))
        let caller = currentThread
        let runner = object.sync { _ in currentThread }
        #expect(runner == caller)
    }

    @Test("sync returns the job's result and rethrows its error")
    func syncResultsAndErrors() {
        let object = Desync(41, scheduler: Scheduler(maxThreads: 1))
        #expect(object.sync { value -> Int in value += 1; return value } == 42)
        #expect(throws: TestError(code: 7)) {
            try object.sync { (_: inout Int) throws(TestError) -> Int in throw TestError(code: 7) }
        }
        // The object goes on after a job that threw.
        #expect(object.sync { $0 } == 42)
    }

    @Test("a sync job that throws while queued behind others rethrows too")
    func queuedSyncThrows() {
        let scheduler = Scheduler(maxThreads: 0)
        let object = Desync(0, scheduler: scheduler)
        object.async { $0 += 1 }
        #expect(throws: TestError(code: 1)) {
            try object.sync { (_: inout Int) throws(TestError) in throw TestError(code: 1) }
        }
        #expect(object.sync { $0 } == 1)
    }
}
