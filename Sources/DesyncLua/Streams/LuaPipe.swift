import Desync
import NIOConcurrencyHelpers

/// `obj:pipe_in(stream, fn)` and `obj:pipe(stream, fn, depth)`: feeds a stream's items, in order,
/// through `fn(data, item)` on an object.
///
/// The pipe holds no thread and no job while it waits. It registers for the input's next item
/// (`whenReadable`) or, for `pipe`, for room in its output (`LuaStream.whenRoom`); the callback
/// queues one *drain* job on the object, which takes the items available now, up to
/// `batchLimit`, runs `fn` on each and re-arms. So other jobs interleave between batches, and
/// `sync`/`async` on the object keep working while the input is open and empty.
///
/// At most one drain job is queued or running at a time (`PipeState.scheduled`), and only drain
/// jobs take input, so items are processed one at a time, in order, each exactly once. A drain
/// job counts as an outstanding job of the runtime (batch mode waits for it); a pipe waiting for
/// input or room does not, so an input nobody closes never keeps a script from exiting.
///
/// `pipe` takes an item only while its output has room (its capacity is the depth), so at most
/// `depth` results wait for a reader: the backpressure is exact. When the input is closed and
/// drained, `pipe` closes its output and `pipe_in` completes its future: a promise, because no
/// job of its own stands for the pipe. With 0 pool threads, a thread waiting on that future runs
/// the pipe (`drive`), whether it waits on the future itself or on an object paused behind an
/// `after` on it.
final class LuaPipe: Sendable {
    /// Items one drain job takes before it goes to the back of the object's queue.
    static let batchLimit = 64

    let object: LuaObject
    let input: LuaStream
    /// `pipe`'s stream of results; nil for `pipe_in`.
    let output: LuaStream?
    /// Completes `pipe_in`'s future: done with no results, or failed with the first item's error.
    /// Nil for `pipe`.
    let completion: DesyncPromise<LuaCargo>?
    /// `fn`, captured once in the caller's state.
    private let function: LuaCargo
    private let state = NIOLockedValueBox(PipeState())

    private struct PipeState: Sendable {
        /// A drain job is queued or running.
        var scheduled = false
        /// The input ended (or the output was closed by someone else): nothing more to do.
        var finished = false
        /// The first item's error, for `pipe_in`'s future.
        var firstError: LuaJobError?
        /// A result that found the output full (someone else sent into it too), sent first.
        var held: LuaCargo?
    }

    private init(object: LuaObject, input: LuaStream, function: LuaCargo, output: LuaStream?) {
        self.object = object
        self.input = input
        self.function = function
        self.output = output
        guard output == nil else {
            completion = nil
            return
        }
        let driver = PipeDriver()
        completion = DesyncPromise(driver: driver)
        driver.pipe = self
    }

    /// Starts `obj:pipe_in(input, fn)`; its future is `completion`.
    static func pipeIn(_ object: LuaObject, from input: LuaStream, function: LuaCargo) -> LuaPipe {
        let pipe = LuaPipe(object: object, input: input, function: function, output: nil)
        pipe.schedule()
        return pipe
    }

    /// Starts `obj:pipe(input, fn, depth)`; its results go to `output`.
    static func pipe(_ object: LuaObject, from input: LuaStream, function: LuaCargo, depth: Int) -> LuaPipe {
        let output = LuaStream(capacity: depth)
        let pipe = LuaPipe(object: object, input: input, function: function, output: output)
        output.producer = pipe
        pipe.schedule()
        return pipe
    }

    private var runtime: RuntimeCore { object.runtime }

    /// Queues a drain job unless one is queued already or the pipe is done.
    private func schedule() {
        let go = state.withLockedValue { state in
            if state.scheduled || state.finished { return false }
            state.scheduled = true
            return true
        }
        guard go else { return }
        _ = object.desync.future(as: .pipe) { value in self.drain(&value) }
    }

    /// The body of a drain job.
    private func drain(_ value: inout ObjectState) {
        var taken = 0
        while true {
            guard flushHeld() else { return }
            if let output, output.isClosed {
                // Closed by its reader: stop, leaving the input as it is (like SIGPIPE).
                return state.withLockedValue { $0.finished = true }
            }
            if let output, !output.hasRoom {
                return rearm { output.whenRoom($0) }
            }
            if taken == Self.batchLimit {
                // Back of the queue, so that the object's other jobs get their turn.
                state.withLockedValue { $0.scheduled = false }
                return schedule()
            }
            switch input.take() {
            case .item(let item):
                taken += 1
                process(item, on: &value)
            case .timeout:
                return rearm { input.channel.whenReadable($0) }
            case .closed:
                return finish()
            }
        }
    }

    /// Ends this drain job and registers `schedule` with `register`, or schedules at once when
    /// `register` reports that what it waits for is there already.
    ///
    /// `scheduled` is cleared before registering: a callback firing right away then finds it
    /// clear and queues the next job; only this job registers, so there is one callback at most.
    private func rearm(_ register: (@escaping @Sendable () -> Void) -> Bool) {
        state.withLockedValue { $0.scheduled = false }
        if !register({ self.schedule() }) { schedule() }
    }

    /// Runs `fn(data, item)`. An error is reported like an async job's and remembered for
    /// `pipe_in`'s future; `pipe` sends the first result, unless it is nil or missing.
    private func process(_ item: LuaCargo, on value: inout ObjectState) {
        switch value.run(function, extra: item, for: object) {
        case .failure(let error):
            runtime.errors.report(error, on: object)
            state.withLockedValue { state in
                if state.firstError == nil { state.firstError = error }
            }
        case .success(let results):
            // Sent by the drain loop's next `flushHeld`.
            guard output != nil, let first = results.firstValue else { return }
            state.withLockedValue { $0.held = first }
        }
    }

    /// Sends the held result, if any. False when it must wait: the output is full (the pipe then
    /// waits for room) or closed by someone else (the pipe then stops, leaving the input as it is).
    private func flushHeld() -> Bool {
        guard let output, let held = state.withLockedValue({ $0.held }) else { return true }
        do {
            if try output.channel.trySend(held) {
                state.withLockedValue { $0.held = nil }
                return true
            }
            rearm { output.whenRoom($0) }
        } catch {
            state.withLockedValue { state in
                state.finished = true
                state.held = nil
            }
        }
        return false
    }

    /// The input is closed and every item was processed.
    private func finish() {
        let error = state.withLockedValue { state in
            state.finished = true
            state.scheduled = false
            return state.firstError
        }
        output?.close()
        completion?.complete(with: error.map { .failure($0) } ?? .success(LuaCargo()))
    }

    /// How many pipes upstream a waiter follows.
    static let drivingDepth = 32

    /// Runs the queued jobs of this pipe's object, and first those of the pipes upstream of it
    /// (`budget` levels at most, in case pipes form a ring), when nobody else runs them. True if
    /// it ran anything.
    func drive(budget: Int) -> Bool {
        var ran = false
        if budget > 0, let upstream = input.producer {
            ran = upstream.drive(budget: budget - 1)
        }
        if object.desync.runQueuedJobsHere() { ran = true }
        return ran
    }
}

/// What a thread waiting on a pipe (its `pipe_in` future, or its output stream) runs with 0 pool
/// threads: the pipe's drain jobs and those of the pipes upstream. With pool threads the pool
/// runs them and the waiter sleeps. Holds the pipe weakly: the pipe owns its promise.
final class PipeDriver: WaitDriver {
    private let box = NIOLockedValueBox<WeakPipe>(WeakPipe())

    init() {}

    init(_ pipe: LuaPipe) {
        self.pipe = pipe
    }

    var pipe: LuaPipe? {
        get { box.withLockedValue { $0.pipe } }
        set { box.withLockedValue { $0.pipe = newValue } }
    }

    func drive(toward target: any Waitable, limits: WaitLimits, parker: Parker) -> DriveStep {
        guard let pipe, !pipe.object.runtime.scheduler.runsQueuedWork else { return .sleep }
        return pipe.drive(budget: LuaPipe.drivingDepth) ? .ran : .sleep
    }

    private struct WeakPipe: Sendable {
        weak var pipe: LuaPipe?
    }
}
