import Testing

@testable import Desync

@Suite("Misuse fails loudly")
struct MisuseTests {
    @Test("sync from inside the object's own job stops the program instead of hanging")
    func reentrantSync() async {
        await #expect(processExitsWith: .failure) {
            let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
            object.sync { _ in object.sync { _ in } }
        }
    }

    @Test("sync back into an object through another object's job stops the program")
    func reentrantThroughAnother() async {
        await #expect(processExitsWith: .failure) {
            let scheduler = Scheduler(maxThreads: 0)
            let first = Desync(0, scheduler: scheduler)
            let second = Desync(0, scheduler: scheduler)
            first.sync { _ in second.sync { _ in first.sync { _ in } } }
        }
    }

    @Test("waiting on a future queued behind the running job of the same object stops the program")
    func reentrantWait() async {
        await #expect(processExitsWith: .failure) {
            let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
            object.sync { _ in
                let later = object.future { _ in 1 }
                _ = try? later.wait()
            }
        }
    }

    @Test("a negative pool size stops the program")
    func negativeThreads() async {
        await #expect(processExitsWith: .failure) {
            _ = Scheduler(maxThreads: -1)
        }
    }

    @Test("isRunningOnCurrentThread tells a job it is inside its own object")
    func insideOwnJob() {
        let object = Desync(0, scheduler: Scheduler(maxThreads: 0))
        #expect(!object.isRunningOnCurrentThread)
        #expect(object.sync { _ in object.isRunningOnCurrentThread })
    }
}

@Suite("Misuse messages")
struct MisuseMessageTests {
    @Test("a re-entrant sync stops the program with a message naming the object")
    func reentrancyMessageNamesTheObject() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let object = Desync(0, label: "counter", scheduler: Scheduler(maxThreads: 0))
            object.sync { _ in object.sync { _ in } }
        }
        let errors = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(errors.contains("desync: sync or wait on counter from inside one of its own jobs would wait forever\n"), "\(errors)")
    }

    @Test("waiting on a queued future from inside its object's job names the object too")
    func reentrantWaitMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let object = Desync(0, label: "ledger", scheduler: Scheduler(maxThreads: 0))
            object.sync { _ in
                let later = object.future { _ in 1 }
                _ = try? later.wait()
            }
        }
        let errors = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(errors.contains("desync: sync or wait on ledger from inside one of its own jobs would wait forever"), "\(errors)")
    }

    @Test("a wait that reaches its own object through a queue paused behind after names both objects")
    func afterGateCycleMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            let pool = Scheduler(maxThreads: 0)
            let a = Desync(0, label: "A", scheduler: pool)
            let b = Desync(0, label: "B", scheduler: pool)
            b.sync { _ in
                let fromB = b.future { _ in 1 }
                _ = a.after(fromB) { _, _ in }
                a.sync { _ in }
            }
        }
        let errors = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(errors.contains("desync: deadlock: a wait on A inside a job of B: A is paused behind `after` until work of B is done"), "\(errors)")
    }

    @Test("a negative pool size names the number")
    func negativeThreadsMessage() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            _ = Scheduler(maxThreads: -3)
        }
        let errors = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(errors.contains("desync: maxThreads must be 0 or more, not -3"), "\(errors)")
    }
}
