import CLua
import Desync
import Synchronization

/// The Lua face of a `DesyncFuture`: results come back as a cargo of Lua values.
final class LuaFuture: LuaSharedObject {
    static let luaTypeName = "desync.future"

    let future: DesyncFuture<LuaCargo>
    /// The object whose queue runs the job; nil for a future of no one job (`desync.timer`,
    /// `desync.all`, `desync.any`).
    let object: LuaObject?
    /// For `desync.all` and `desync.any`: the futures combined, whose results make this one's.
    let combined: Combination?

    enum Combination {
        /// Results: a list of each future's first result.
        case all([LuaFuture])
        /// Results: the index of the first to finish (this future's own result), then its results.
        case any([LuaFuture])

        var parts: [LuaFuture] {
            switch self {
            case .all(let parts), .any(let parts): parts
            }
        }
    }
    /// Cancels the job while it is suspended; nil for futures of other work (`pipe_in`).
    let control: LuaJobControl?
    /// Its failure was reported already (`obj:pipe_in`'s future: each item's error is), so a
    /// failure nobody observes is not reported again.
    private let failureReported: Bool
    /// Someone saw the outcome: `f:wait` or `f:result` returned it, or `obj:after(f, ...)` took
    /// it over. A failure nobody saw is reported when the future is collected (see `deinit`).
    private let observed = Atomic<Bool>(false)

    init(_ future: DesyncFuture<LuaCargo>, object: LuaObject, control: LuaJobControl? = nil, failureReported: Bool = false) {
        self.future = future
        self.object = object
        self.control = control
        self.failureReported = failureReported
        combined = nil
    }

    /// A future of no one job: a timer's, or one combining `combined`'s.
    init(_ future: DesyncFuture<LuaCargo>, combining combined: Combination?) {
        self.future = future
        object = nil
        control = nil
        // The parts report their own failures unless this one's outcome is observed.
        failureReported = true
        self.combined = combined
    }

    /// How `tostring` names it: its object, or what it stands for.
    var label: String {
        if let object { return object.name }
        switch combined {
        case .all: return "all"
        case .any: return "any"
        case nil: return "timer"
        }
    }

    /// A failed future that nothing observed is reported like an `async` job's error nobody
    /// observes (stderr or `on_error`, and counted for a batch run's exit status) once the last
    /// proxy to it is gone: when the job has finished by then, at once; otherwise by a check
    /// queued on the same object, which runs after the job (jobs run in order), so the batch
    /// run's final wait includes it. `pipe_in`'s future is left out: each item's error was
    /// reported already.
    deinit {
        guard !failureReported, !observed.load(ordering: .acquiring), let object else { return }
        if let outcome = future.outcome {
            LuaFuture.reportIfFailed(outcome, of: object)
            return
        }
        let future = future
        object.desync.async { _ in
            if let outcome = future.outcome { LuaFuture.reportIfFailed(outcome, of: object) }
        }
    }

    private static func reportIfFailed(_ outcome: Result<LuaCargo, any Error>, of object: LuaObject) {
        guard case .failure(let error) = outcome, let error = error as? LuaJobError else { return }
        object.runtime.errors.report(error, on: object, source: "future")
    }

    /// The outcome was handed to someone: its failure is theirs to deal with.
    func markObserved() {
        observed.store(true, ordering: .releasing)
        for part in combined?.parts ?? [] { part.markObserved() }
    }

    /// Cancels the job if it has not started, or if it is suspended (its wait then raises
    /// "cancelled" inside it, and the future ends cancelled). False while it runs Lua code, and
    /// once it is over.
    func cancel() -> Bool {
        future.cancel() || control?.cancelIfSuspended() == true
    }

    /// True once finished.
    var isDone: Bool { future.isDone }

    /// The status name `f:status()` shows.
    var status: String {
        // Cancelled while suspended: the job stops at its next slice, and its future ends so.
        if control?.isCancelled == true { return DesyncFuture<LuaCargo>.Status.cancelled.rawValue }
        return future.status.rawValue
    }
}

extension LuaCall {
    /// Pushes the results of `future`'s successful outcome `cargo`. A combined future's are made
    /// from its parts' here, in the caller's state: `all`'s list one part's first result at a
    /// time, `any`'s index followed by the winning part's results.
    func returnResults(of future: LuaFuture, _ cargo: LuaCargo) throws -> Int32 {
        switch future.combined {
        case nil:
            return try returnValues(cargo)
        case .all(let parts):
            lua.setTop(0)
            guard lua.reserve(8) else { throw LuaError(message: "too many results to return") }
            lua.newTable(array: Int32(clamping: parts.count), fields: 0)
            for (index, part) in parts.enumerated() {
                guard case .success(let results) = part.future.outcome else { continue }
                guard lua.reserve(Int32(clamping: results.count) + 4) else {
                    throw LuaError(message: "too many results to return")
                }
                let pushed = results.push(onto: L)
                if pushed == 0 {
                    lua.pushNil()
                } else if pushed > 1 {
                    lua.pop(pushed - 1)
                }
                lua.rawSet(1, index: lua_Integer(index + 1))
            }
            return 1
        case .any(let parts):
            let winner = Int(cargo.firstInteger ?? 0)
            guard winner >= 1, winner <= parts.count, case .success(let results) = parts[winner - 1].future.outcome else {
                return try returnValues(cargo)
            }
            let count = try returnResults(of: parts[winner - 1], results)
            lua.push(integer: lua_Integer(winner))
            lua.insert(at: 1)
            return count + 1
        }
    }
}

private extension LuaCargo {
    /// The value of a cargo that is one integer (`any`'s winning index).
    var firstInteger: lua_Integer? {
        if case .one(.integer(let value)) = storage { value } else { nil }
    }
}
