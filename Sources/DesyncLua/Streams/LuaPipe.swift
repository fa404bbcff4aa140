import Desync
import NIOConcurrencyHelpers

/// `obj:pipe_in(stream, fn)` and `obj:pipe(stream, fn, depth)`: the core's pipe (`ChannelPipe`)
/// over the streams' channels, with `fn(data, item)` as its body.
///
/// The pipe holds no thread and no job while it waits; its drain jobs run `fn` on the items
/// available now and interleave with the object's other jobs (see `ChannelPipe`). A drain job
/// counts as an outstanding job of the runtime (batch mode waits for it); a pipe waiting for
/// input or room does not, so an input nobody closes never keeps a script from exiting.
///
/// `pipe` takes an item only while its output has room (its capacity is the depth), so at most
/// `depth` results wait for a reader. When the input is closed and drained, `pipe` closes its
/// output and `pipe_in` completes its future: a promise, because no job of its own stands for
/// the pipe, whose waiters run the pipe with 0 pool threads (its driver is the pipe's).
enum LuaPipe {
    /// Starts `obj:pipe_in(input, fn)`: the future is done when the input is closed and every
    /// item was processed, or failed with the first item's error.
    static func pipeIn(_ object: LuaObject, from input: LuaStream, function: LuaCargo) -> DesyncFuture<LuaCargo> {
        let firstError = NIOLockedValueBox<LuaJobError?>(nil)
        let pipe = ChannelPipe<ObjectState, LuaCargo, Never>(
            object: object.desync, input: input.channel, output: nil, beforeTake: refill(input)
        ) { value, item in
            if case .failure(let error) = process(item, on: &value, with: function, for: object) {
                firstError.withLockedValue { first in
                    if first == nil { first = error }
                }
            }
            return nil
        }
        let promise = DesyncPromise<LuaCargo>(driver: pipe.driver)
        pipe.start {
            let error = firstError.withLockedValue { $0 }
            promise.complete(with: error.map { .failure($0) } ?? .success(LuaCargo()))
        }
        return promise.future
    }

    /// Starts `obj:pipe(input, fn, depth)`: the stream of the first result of each item (nothing
    /// for nil or no result).
    static func pipe(_ object: LuaObject, from input: LuaStream, function: LuaCargo, depth: Int) -> LuaStream {
        let output = LuaStream(capacity: depth)
        let pipe = ChannelPipe<ObjectState, LuaCargo, LuaCargo>(
            object: object.desync, input: input.channel, output: output.channel, beforeTake: refill(input)
        ) { value, item in
            guard case .success(let results) = process(item, on: &value, with: function, for: object) else { return nil }
            return results.firstValue
        }
        pipe.start()
        return output
    }

    /// Runs `fn(data, item)`; an error is reported like an async job's.
    private static func process(
        _ item: LuaCargo, on value: inout ObjectState, with function: LuaCargo, for object: LuaObject
    ) -> Result<LuaCargo, LuaJobError> {
        let outcome = value.run(function, extra: item, for: object)
        if case .failure(let error) = outcome { object.runtime.errors.report(error, on: object) }
        return outcome
    }

    /// A generator stream read on the host's thread (a drain job the host runs while it waits)
    /// is topped up first, as a receive there would be. The closure holds the stream, so the pipe
    /// keeps it alive: its owner stops filling a generator stream once the stream is gone.
    private static func refill(_ input: LuaStream) -> (@Sendable () -> Void)? {
        guard input.generator != nil else { return nil }
        return { input.generator?.refillIfOnHostThread() }
    }
}
