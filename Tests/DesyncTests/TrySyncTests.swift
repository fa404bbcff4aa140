import Testing

@testable import Desync

@Suite("trySync")
struct TrySyncTests {
    @Test("runs on an idle object, reports busy on a running one, never blocks")
    func trySync() {
        let scheduler = Scheduler(maxThreads: 1)
        let object = Desync(3, scheduler: scheduler)
        #expect(object.trySync { $0 } == 3)
        let started = Latch()
        let release = Latch()
        object.async { _ in
            started.open()
            _ = release.wait()
        }
        #expect(started.wait())
        let begin = ContinuousClock.now
        #expect(object.trySync { $0 } == nil)
        #expect(ContinuousClock.now - begin < .seconds(5))
        release.open()
        #expect(object.sync { $0 } == 3)
        // The pool thread may still be handing the queue back just after `sync` returns.
        var result: Int?
        #expect(eventually {
            result = object.trySync { value -> Int in value += 1; return value }
            return result != nil
        })
        #expect(result == 4)
    }

    @Test("reports busy while jobs are queued, even if no thread runs them")
    func busyWhenQueued() {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        object.async { $0 += 1 }
        #expect(object.trySync { $0 } == nil)
        #expect(object.sync { $0 } == 1)
    }

    @Test("rethrows the job's error")
    func trySyncThrows() {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        #expect(throws: TestError(code: 2)) {
            try object.trySync { (_: inout Int) throws(TestError) -> Int in throw TestError(code: 2) }
        }
    }
}
