/// What a thread waiting on a pipe (its completion, or its output channel) may run to reach what
/// it waits for: the pipe's drain jobs, and first those of the pipes upstream of it.
///
/// Where a pool thread will run them, an outside waiter (the Lua host, a test's main thread)
/// leaves them to it and sleeps on its target, which wakes it once. A waiter that nobody else
/// would serve (0 pool threads), or a pool thread (whose pool may be full of such waiters), asks
/// each object's queue in turn, upstream first, by the queue's own rules (``QueueCore/drive``):
/// it runs a ready queue nobody runs, or registers to be woken when one becomes ready.
///
/// Holds the objects' queues, not the pipes: a pipe's completion future keeps its driver, and a
/// driver that kept the pipe would keep it forever through its callbacks.
@usableFromInline package final class PipeDriver: WaitDriver {
    /// How many pipes upstream a waiter follows.
    static let depth = 32

    private let queue: QueueCore
    /// The driver of the pipe writing this pipe's input, if it is a pipe's output.
    private let upstream: PipeDriver?

    init(queue: QueueCore, upstream: PipeDriver?) {
        self.queue = queue
        self.upstream = upstream
    }

    /// True when pool threads run the pipes' jobs, so a waiter on another thread need not.
    package var runsByItself: Bool { queue.scheduler.runsQueuedWork }

    package func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        if runsByItself, WorkerPool.current == nil { return .sleep }
        var chain: [PipeDriver] = []
        var next: PipeDriver? = self
        while let driver = next, chain.count < Self.depth {
            chain.append(driver)
            next = driver.upstream
        }
        for driver in chain.reversed() {
            // A job of one of these objects waiting on the pipe: its own queue is not for it to
            // run (it would wait for itself); the others may still feed what it waits for.
            if driver.queue.isRunningOnCurrentThread { continue }
            switch driver.queue.drive(toward: target, limits: limits, parker: parker) {
            case .ran: return .ran
            case .follow(let gate): return .follow(gate)
            case .sleep, .poll, .stuck: continue
            case .deadlock(let message): return .deadlock(message)
            }
        }
        return .sleep
    }
}
