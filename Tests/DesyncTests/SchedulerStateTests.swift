import Testing

@testable import Desync

/// The pool's state machine on its own, transition by transition, as `QueueStateTests` does for
/// a queue's. Every transition also checks the state's invariants (debug builds), so a sequence
/// that breaks one stops the test process.
@Suite("SchedulerState transitions")
struct SchedulerStateTests {
    /// Queues to list; they are never run (their scheduler has no thread).
    private static func queues(_ count: Int) -> [QueueCore] {
        let scheduler = Scheduler(maxThreads: 0)
        return (0..<count).map { _ in Desync(0, scheduler: scheduler).queue }
    }

    private static func isStart(_ action: SchedulerState.ScheduleAction) -> Bool {
        action == .startThread
    }

    private static func woke(_ action: SchedulerState.ScheduleAction) -> Parker? {
        if case .wake(let parker) = action { return parker }
        return nil
    }

    /// A thread's first ask: the queue it gets, and what it asks the caller to do for the rest.
    private static func run(_ action: SchedulerState.WorkerAction) -> (QueueCore, SchedulerState.ScheduleAction)? {
        if case .run(let queue, let then) = action { return (queue, then) }
        return nil
    }

    private static func retires(_ action: SchedulerState.WorkerAction) -> Bool {
        if case .retire = action { return true }
        return false
    }

    /// A state with `threads` threads started, asked once, and asleep.
    private static func idleThreads(_ threads: Int, maxThreads: Int) -> (SchedulerState, [Parker]) {
        var state = SchedulerState(maxThreads: maxThreads)
        _ = state.setMaxThreads(threads)
        let listed = queues(threads)
        var starts = 0
        for queue in listed where isStart(state.schedule(queue)) { starts += 1 }
        #expect(starts == threads)
        let parkers = (0..<threads).map { _ in Parker() }
        for parker in parkers {
            #expect(run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: parker)) != nil)
        }
        for parker in parkers {
            guard case .sleep = state.nextWork(finishedTurn: true, woken: false, parker: parker) else {
                Issue.record("a thread with nothing ready did not sleep")
                continue
            }
        }
        _ = state.setMaxThreads(maxThreads)
        #expect(state.threadsIdle == threads && state.threadsAlive == threads)
        return (state, parkers)
    }

    @Test("schedule starts one thread per ready queue up to the limit, then only lists")
    func scheduleStartsUpToLimit() {
        var state = SchedulerState(maxThreads: 2)
        let listed = Self.queues(3)
        #expect(Self.isStart(state.schedule(listed[0])))
        #expect(Self.isStart(state.schedule(listed[1])))
        #expect(state.schedule(listed[2]) == .none)
        #expect(state.threadsAlive == 2 && state.ready.count == 3)
        // The first thread to ask takes the oldest queue; the other is on its way for the rest.
        let first = Self.run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: Parker()))
        #expect(first?.0 === listed[0])
        #expect(first?.1 == SchedulerState.ScheduleAction.none)
        #expect(state.threadsBusy == 1 && state.ready.count == 2)
    }

    @Test("a woken thread is on its way: a second schedule wakes nobody else, the woken one wakes the next")
    func wakeChain() {
        var (state, parkers) = Self.idleThreads(2, maxThreads: 2)
        let listed = Self.queues(2)
        let woken = Self.woke(state.schedule(listed[0]))
        #expect(woken === parkers[1])
        #expect(state.schedule(listed[1]) == .none)
        let asked = Self.run(state.nextWork(finishedTurn: false, woken: true, parker: parkers[1]))
        #expect(asked?.0 === listed[0])
        #expect(asked.flatMap { Self.woke($0.1) } === parkers[0])
    }

    @Test("a burst finds one idle thread and room for more: threads start for the other queues")
    func burstStartsThreads() {
        var (state, parkers) = Self.idleThreads(1, maxThreads: 4)
        let listed = Self.queues(4)
        #expect(Self.woke(state.schedule(listed[0])) === parkers[0])
        // The woken thread is on its way for the first queue; the others need threads of their own.
        #expect(Self.isStart(state.schedule(listed[1])))
        #expect(Self.isStart(state.schedule(listed[2])))
        #expect(Self.isStart(state.schedule(listed[3])))
        #expect(state.threadsAlive == 4)
    }

    @Test("a thread that takes a queue with more ready and nobody coming starts another thread")
    func nextWorkStartsAThread() {
        var state = SchedulerState(maxThreads: 3)
        let listed = Self.queues(3)
        #expect(Self.isStart(state.schedule(listed[0])))
        // The threads for the other two could not start: the one that did retries when it asks.
        #expect(Self.isStart(state.schedule(listed[1])))
        #expect(Self.isStart(state.schedule(listed[2])))
        _ = state.threadStartFailed()
        _ = state.threadStartFailed()
        #expect(state.threadsAlive == 1 && state.ready.count == 3)
        let asked = Self.run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: Parker()))
        #expect(asked?.0 === listed[0])
        #expect(asked.map { Self.isStart($0.1) } == true)
        #expect(state.threadsAlive == 2)
    }

    @Test("raising maxThreads starts threads for the ready queues at once, no more than they need")
    func raisingStarts() {
        var state = SchedulerState(maxThreads: 0)
        for queue in Self.queues(3) { #expect(state.schedule(queue) == .none) }
        let raised = state.setMaxThreads(8)
        #expect(raised.start == 3 && raised.wake.isEmpty)
        #expect(state.threadsAlive == 3)
    }

    @Test("lowering maxThreads wakes idle threads, which retire when they ask")
    func loweringRetiresIdle() {
        var (state, parkers) = Self.idleThreads(3, maxThreads: 3)
        let lowered = state.setMaxThreads(1)
        #expect(lowered.start == 0 && lowered.wake.count == 2)
        for parker in lowered.wake {
            #expect(Self.retires(state.nextWork(finishedTurn: false, woken: true, parker: parker)))
        }
        #expect(state.threadsAlive == 1 && state.threadsIdle == 1)
        #expect(parkers.contains { $0 === lowered.wake[0] })
    }

    @Test("a thread that cannot start is uncounted, warned about once, and its queue stays ready")
    func startFailure() {
        var state = SchedulerState(maxThreads: 2)
        let listed = Self.queues(2)
        #expect(Self.isStart(state.schedule(listed[0])))
        let first = state.threadStartFailed()
        #expect(first.first && first.exited.isEmpty)
        #expect(state.threadsAlive == 0 && state.ready.count == 1 && state.threadStartFailures == 1)
        // The next queue tries again; a second failure is not reported again.
        #expect(Self.isStart(state.schedule(listed[1])))
        #expect(!state.threadStartFailed().first)
        #expect(state.threadsAlive == 0 && state.ready.count == 2 && state.threadStartFailures == 2)
    }

    @Test("shutdown: threads run what is ready, then retire instead of sleeping; the last wakes the waiters")
    func shutdownDrainsThenRetires() {
        var state = SchedulerState(maxThreads: 2)
        let listed = Self.queues(3)
        #expect(Self.isStart(state.schedule(listed[0])))
        let worker = Parker()
        #expect(Self.run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: worker)) != nil)
        // The second thread could not start; one thread runs everything.
        #expect(Self.isStart(state.schedule(listed[1])))
        _ = state.threadStartFailed()
        let waiter = Parker()
        let shut = state.shutdown(waiter: waiter)
        #expect(shut.threadsLeft && shut.wake.isEmpty)
        #expect(state.maxThreads == 0)
        // Work listed during the shutdown is not lost either: the thread still draining takes it.
        #expect(state.schedule(listed[2]) == .none)
        #expect(Self.run(state.nextWork(finishedTurn: true, woken: false, parker: worker))?.0 === listed[1])
        #expect(Self.run(state.nextWork(finishedTurn: true, woken: false, parker: worker))?.0 === listed[2])
        guard case .retire(_, let exited) = state.nextWork(finishedTurn: true, woken: false, parker: worker) else {
            Issue.record("the thread did not retire once nothing was ready")
            return
        }
        #expect(!exited.isEmpty && state.threadsAlive == 0)
        // Raising maxThreads afterwards starts the pool again.
        #expect(Self.isStart(state.schedule(listed[0])) == false)
        #expect(state.setMaxThreads(1).start == 1)
    }

    @Test("shutdown wakes every idle thread, which retire; with no thread there is nothing to wait for")
    func shutdownIdle() {
        var (state, _) = Self.idleThreads(2, maxThreads: 2)
        let shut = state.shutdown(waiter: Parker())
        #expect(shut.threadsLeft && shut.wake.count == 2)
        for parker in shut.wake {
            #expect(Self.retires(state.nextWork(finishedTurn: false, woken: true, parker: parker)))
        }
        #expect(state.threadsAlive == 0)
        var empty = SchedulerState(maxThreads: 3)
        #expect(!empty.shutdown(waiter: Parker()).threadsLeft)
    }

    @Test("a blocked thread lets one more start for the ready queues; unblocked, the surplus retires")
    func blockedThreads() {
        var state = SchedulerState(maxThreads: 1)
        let listed = Self.queues(2)
        #expect(Self.isStart(state.schedule(listed[0])))
        let first = Parker()
        #expect(Self.run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: first)) != nil)
        #expect(state.schedule(listed[1]) == .none)
        let startsOneMore = state.workerBlocked()
        #expect(startsOneMore)
        #expect(state.threadsAlive == 2 && state.threadsBlocked == 1)
        let second = Parker()
        #expect(Self.run(state.nextWork(finishedTurn: false, woken: false, firstAsk: true, parker: second))?.0 === listed[1])
        #expect(state.workerUnblocked() == nil)
        // Over the limit now: whichever thread asks first retires.
        #expect(Self.retires(state.nextWork(finishedTurn: true, woken: false, parker: second)))
        guard case .sleep = state.nextWork(finishedTurn: true, woken: false, parker: first) else {
            Issue.record("the remaining thread did not sleep")
            return
        }
        #expect(state.threadsAlive == 1 && state.threadsIdle == 1 && state.threadsBusy == 0)
    }

    @Test("relist puts the queue at the tail without waking anyone")
    func relist() {
        var (state, _) = Self.idleThreads(1, maxThreads: 1)
        let listed = Self.queues(2)
        _ = state.schedule(listed[0])
        state.relist(listed[1])
        #expect(state.ready.count == 2 && state.ready.last === listed[1])
    }
}
