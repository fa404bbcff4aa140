import Dispatch
import Synchronization
import Testing

@testable import Desync

@Suite("Stress: many threads, many objects, every verb")
struct StressTests {
    /// One record per job: which client thread queued it, and its number in that thread's
    /// sequence for this object.
    struct Entry: Sendable {
        let client: Int
        let sequence: Int
    }

    @Test("every job runs exactly once and per-object order holds", arguments: [0, 1, 4])
    func randomTraffic(threads: Int) throws {
        let scheduler = Scheduler(maxThreads: threads)
        let objectCount = 16
        let clients = 4
        let operationsPerClient = 2000
        let objects = (0..<objectCount).map { _ in Desync([Entry](), scheduler: scheduler) }
        let failures = Atomic<Int>(0)
        let finished = Latch()

        for client in 0..<clients {
            Thread.detach {
                var generator = SplitMix64(seed: UInt64(client + 1))
                var sequences = [Int](repeating: 0, count: objectCount)
                var futures: [DesyncFuture<Int>] = []
                for _ in 0..<operationsPerClient {
                    let index = Int(generator.next() % UInt64(objectCount))
                    let object = objects[index]
                    let entry = Entry(client: client, sequence: sequences[index])
                    sequences[index] += 1
                    switch generator.next() % 4 {
                    case 0: object.async { $0.append(entry) }
                    case 1: object.sync { $0.append(entry) }
                    case 2: futures.append(object.future { $0.append(entry); return entry.sequence })
                    default:
                        let other = objects[Int(generator.next() % UInt64(objectCount))]
                        let gate = other.future { $0.count }
                        futures.append(object.after(gate) { log, _ in log.append(entry); return entry.sequence })
                    }
                }
                for future in futures where (try? future.wait(timeout: .seconds(30))) == nil {
                    failures.add(1, ordering: .relaxed)
                }
                finished.open()
            }
        }
        for _ in 0..<clients { #expect(finished.wait(seconds: 60)) }
        #expect(failures.load(ordering: .relaxed) == 0)

        var total = 0
        for object in objects {
            let log = object.sync { $0 }
            total += log.count
            for client in 0..<clients {
                let sequence = log.filter { $0.client == client }.map(\.sequence)
                #expect(sequence == Array(0..<sequence.count), "object order broken for client \(client)")
            }
        }
        #expect(total == clients * operationsPerClient)
    }
}

/// Plain threads for test clients: Swift concurrency's pool must not be blocked by `sync`.
enum Thread {
    static func detach(_ body: @escaping @Sendable () -> Void) {
        WorkerThread.start(body)
    }
}
