import Foundation
import Synchronization
import Testing

@testable import Desync

@Suite("pipeIn: cancelled before it starts")
struct PipeInCancelTests {
    /// A blocking wait on a pipeIn future sleeps on the pipe's driver, not on the future; a
    /// future cancelled before its feeding task started must still wake it (it hung before).
    /// The task is kept from starting by occupying every thread of Swift's cooperative pool.
    @Test("wait() on a pipeIn future cancelled before its task started returns", arguments: [0, 2])
    func waitReturnsAfterCancel(threads: Int) {
        let object = Desync(0, scheduler: Scheduler(maxThreads: threads))
        let release = DispatchSemaphore(value: 0)
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 2
        for _ in 0..<blockers { Task.detached { release.wait() } }
        defer { for _ in 0..<blockers { release.signal() } }
        usleep(100_000)
        let stream = AsyncStream<Int> { continuation in
            continuation.yield(1)
            continuation.finish()
        }
        let future = object.pipeIn(stream) { value, item in value += item }
        let returned = Latch()
        Thread.detach {
            _ = try? future.wait()
            returned.open()
        }
        usleep(50_000)
        #expect(future.cancel())
        #expect(returned.wait(), "wait() on a cancelled pipeIn future never returned")
    }
}
