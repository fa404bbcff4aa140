import Synchronization
import Testing

@testable import Desync

/// Appends its number: a job body small enough to be stored in the job itself.
private struct Append: DesyncJobBody {
    let number: Int
    func run(_ value: inout [Int]) { value.append(number) }
}

/// Holds a reference, to see when the job body is let go.
private final class Token: Sendable {}

/// Counts the jobs that ran; a class, so that value-type job bodies can share it.
private final class RunCount: Sendable {
    let value = Atomic<Int>(0)
}

/// Counts itself and holds a token (two words: stored in the job itself).
private struct Holding: DesyncJobBody {
    let token: Token
    let ran: RunCount
    func run(_ value: inout Int) {
        value += 1
        ran.value.add(1, ordering: .relaxed)
    }
}

@Suite("async(body:): jobs of the caller's own type")
struct JobBodyTests {
    @Test("body jobs and closure jobs keep one order, each runs once", arguments: [0, 1, 4])
    func order(threads: Int) {
        let scheduler = Scheduler(maxThreads: threads)
        let log = Desync([Int](), scheduler: scheduler)
        for number in 0..<3000 {
            if number % 3 == 0 {
                log.async { $0.append(number) }
            } else {
                log.async(body: Append(number: number))
            }
        }
        #expect(log.sync { $0 } == Array(0..<3000))
    }

    @Test("a body job's captures are released once a later sync returns", arguments: [0, 2])
    func released(threads: Int) {
        let scheduler = Scheduler(maxThreads: threads)
        let object = Desync(0, scheduler: scheduler)
        let ran = RunCount()
        weak var weakToken: Token?
        do {
            let token = Token()
            weakToken = token
            for _ in 0..<100 {
                object.async(body: Holding(token: token, ran: ran))
            }
        }
        #expect(object.sync { $0 } == 100)
        #expect(ran.value.load(ordering: .relaxed) == 100)
        #expect(weakToken == nil)
    }

    @Test("body jobs from many threads at once all run", arguments: 0..<20)
    func concurrentSubmitters(round: Int) async {
        let scheduler = Scheduler(maxThreads: 2)
        let object = Desync(0, scheduler: scheduler)
        let ran = RunCount()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<250 { object.async(body: Holding(token: Token(), ran: ran)) }
                }
            }
        }
        #expect(object.sync { $0 } == 1000)
        #expect(ran.value.load(ordering: .relaxed) == 1000)
    }
}
