import Desync
import CLua
import Synchronization

/// The generator behind `desync.stream.from(fn)`: `fn` is a function of the state that called
/// `from` (its owner), with upvalues there, so it can only ever run in that state, on the thread
/// that runs that state at the moment. A receiver in another state (a job, a pipe on another
/// object) cannot call it; it can only make it known that it wants values, and the owner pulls
/// them the next time it has control:
///
/// - the owner receiving from the stream itself, when the stream is empty: one call of `fn`
///   for the value it receives (a loop over the stream in its own state is exactly as lazy as a
///   loop over `fn`);
/// - once a receiver elsewhere has asked (a pipe reads the stream, or another state received
///   from it), the owner fills the stream up to its capacity whenever it calls into desync, and,
///   for the host, between the slices of its blocking waits (at most 50 ms apart) and in the
///   final wait of a batch run. Receivers there then get values a capacity at a time.
///
/// So a generator is never run on another thread and never ahead of its capacity; what the
/// design cannot do is call it while its owner is busy running other Lua code that never calls
/// into desync (the REPL sitting at its prompt, say): receivers elsewhere wait until it does.
final class StreamGenerator: Sendable {
    /// The `LuaStateContext.id` of the owning state.
    let ownerID: Int
    /// The owner's flag "some generator of mine has receivers waiting".
    let demand: GeneratorDemand
    /// A receiver outside the owner's state reads the stream: refill it when there is room.
    private let readElsewhere = Atomic<Bool>(false)
    /// The runtime, when the owner is the host state.
    private let hostRuntime: RuntimeCore?

    init(owner: LuaStateContext) {
        ownerID = owner.id
        demand = owner.generatorDemand
        hostRuntime = owner.isHost ? owner.runtime : nil
    }

    /// Before a receive: on the host's thread, a receiver is a job the host runs while it waits
    /// (with 0 pool threads, or a job its wait claimed), or the host itself; either way the host
    /// state is paused inside a desync call, so it can run its generators now, instead of at
    /// the next slice of its wait.
    func refillIfOnHostThread() {
        hostRuntime?.refillHostGenerators()
    }

    var isReadElsewhere: Bool { readElsewhere.load(ordering: .relaxed) }

    /// A receiver outside the owner's state: from now on the owner keeps the stream filled.
    func readFromElsewhere() {
        if !readElsewhere.exchange(true, ordering: .relaxed) { demand.raise() }
    }
}

/// One flag per state: a generator stream of this state has room and receivers elsewhere.
/// Raised from any thread (a receive freeing room); taken by the owner's thread.
final class GeneratorDemand: Sendable {
    private let raised = Atomic<Bool>(false)
    /// The owner's thread's parker, for the host: a wait there wakes and fills the streams.
    private let owner: Parker?

    init(waking owner: Parker?) {
        self.owner = owner
    }

    func raise() {
        raised.store(true, ordering: .releasing)
        owner?.unpark()
    }

    var isRaised: Bool { raised.load(ordering: .acquiring) }

    func take() -> Bool { raised.exchange(false, ordering: .acquiring) }
}

/// The generator streams a state owns, with their functions in its registry. Used only on the
/// thread running that state (it lives in the state's `LuaStateContext`).
final class OwnedGenerators {
    private struct Entry {
        /// Held until the stream ends or the state closes (`closeAll`): the generator's function
        /// stays in the registry that long anyway. Not weak: a weak reference's side table, which
        /// nothing else points to in a form LeakSanitizer reads, showed as a leak at exit.
        var stream: LuaStream?
        let functionRef: Int32
    }

    private var entries: [Entry] = []
    /// A refill runs Lua code, which may call into desync and so ask for a refill again.
    private var refilling = false

    /// Takes the function on top of `L` (popped) as the generator of `stream`.
    func add(_ stream: LuaStream, functionOnTopOf L: OpaquePointer) {
        entries.append(Entry(stream: stream, functionRef: LuaStack(L).reference(in: DESYNC_LUA_REGISTRYINDEX)))
    }

    /// Pulls one value into `stream` (it must be one of this state's), for a receive of the
    /// owner's own: nothing when the generator is done. Throws the generator's error as it was
    /// raised (the receive raises it again), which ends the stream.
    func pullOne(into stream: LuaStream, in L: OpaquePointer) throws {
        guard let index = entries.firstIndex(where: { $0.stream === stream }) else { return }
        if let failure = pull(entry: index, into: stream, upTo: stream.count + 1, traceback: false, in: L) {
            if let value = failure.value { throw LuaRaisedValue(value: value) }
            throw LuaError(message: failure.text, withPosition: false)
        }
    }

    /// Fills every stream read elsewhere up to its capacity, and forgets the entries of streams
    /// that are gone or ended. A generator's error ends its stream and is reported on stderr
    /// (nobody is there to raise it to), counting as unobserved.
    func refill(in L: OpaquePointer, reports: ErrorReports) {
        guard !refilling else { return }
        refilling = true
        defer { refilling = false }
        var index = 0
        while index < entries.count {
            guard let stream = entries[index].stream, !stream.isClosed else {
                forget(entry: index, in: L)
                continue
            }
            if let generator = stream.generator, generator.isReadElsewhere, let capacity = stream.capacity,
               let failure = pull(entry: index, into: stream, upTo: capacity, traceback: true, in: L) {
                reports.reportUnattached("desync: error in stream generator: \(failure.text)")
            }
            if index < entries.count, entries[index].stream === stream, !stream.isClosed {
                if let generator = stream.generator, generator.isReadElsewhere,
                   !stream.channel.whenWritable({ generator.demand.raise() }) {
                    generator.demand.raise()
                }
                index += 1
            }
        }
    }

    /// Closes every stream still open (the state is closing: its generators are gone).
    func closeAll() {
        for entry in entries { entry.stream?.close() }
        entries = []
    }

    /// Why a generator stopped with an error: its text, and the raised value when it crosses.
    private struct PullFailure {
        let text: String
        var value: LuaCargo?
    }

    /// Calls the generator of `entries[index]` until `stream` holds `limit` values or the
    /// generator returns nil (the stream is then closed and the entry forgotten). On an error,
    /// or a value that cannot cross, the stream is closed, the entry forgotten, and the failure
    /// returned; `traceback` adds the generator's traceback to a string error.
    private func pull(
        entry index: Int, into stream: LuaStream, upTo limit: Int, traceback: Bool, in L: OpaquePointer
    ) -> PullFailure? {
        let lua = LuaStack(L)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(4) else { return PullFailure(text: "no Lua stack space to call a stream generator") }
        while stream.count < limit, !stream.isClosed {
            if traceback { lua.pushTracebackHandler() }
            lua.rawGet(DESYNC_LUA_REGISTRYINDEX, index: lua_Integer(entries[index].functionRef))
            let status = lua.protectedCall(arguments: 0, results: 1, handler: traceback ? top + 1 : 0)
            var failure: PullFailure?
            if status != LUA_OK {
                failure = PullFailure(text: describeError(at: -1, in: L),
                                      value: try? LuaCargo.capture(from: L, first: -1, count: 1).get())
            } else if lua.type(at: -1) == LUA_TNIL {
                lua.setTop(top)
                end(entry: index, stream: stream, in: L)
                return nil
            } else {
                switch LuaCargo.capture(from: L, first: -1, count: 1, describe: { _ in "stream generator's value" }) {
                case .success(let item): _ = try? stream.channel.trySend(item)
                case .failure(let problem): failure = PullFailure(text: problem.message)
                }
            }
            lua.setTop(top)
            if let failure {
                end(entry: index, stream: stream, in: L)
                return failure
            }
        }
        return nil
    }

    private func end(entry index: Int, stream: LuaStream, in L: OpaquePointer) {
        stream.close()
        forget(entry: index, in: L)
    }

    private func forget(entry index: Int, in L: OpaquePointer) {
        LuaStack(L).release(entries[index].functionRef, in: DESYNC_LUA_REGISTRYINDEX)
        entries.remove(at: index)
    }
}
