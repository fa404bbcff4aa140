import CLua
import Desync
import Synchronization

/// Where a Lua job's outcome goes once the job ends: in its first slice, or in a later one after
/// it suspended.
enum LuaJobEnd {
    /// `async`: nobody waits for it; a failure is reported (`on_error`, or stderr).
    case report
    /// `future`, `after`, a host's `sync`: the job's future, which the job completes.
    case future(DesyncFuture<LuaCargo>, LuaJobControl)
    /// A `sync` run where it was called: the caller takes the first slice's outcome; if the job
    /// suspends, a future made then carries the rest (`LuaJobStart.suspended`).
    case caller
}

/// What starting a job on an object's state gave.
enum LuaJobStart {
    case finished(Result<LuaCargo, LuaJobError>)
    /// The job suspended and ends later: for `LuaJobEnd.caller`, through this future.
    case suspended(DesyncFuture<LuaCargo>?)
}

/// What a job's future can do to the job: cancel it while it is suspended. A job that runs Lua
/// code cannot be stopped (Lua has no safe way to); a suspended one is resumed, and its pending
/// wait raises "cancelled" inside it, so its `pcall` handlers and `<close>` variables run.
final class LuaJobControl: Sendable {
    /// Opened by a cancel: a suspended job's gate includes it, so the job resumes at once.
    let cancelRequest = SyncCompletion()
    /// `suspendedBit` and `cancelledBit`. An atomic, not a locked box: every future makes one
    /// control, and the box's allocation and lock showed in a future's round trip (callgrind).
    private let state = Atomic<UInt8>(0)
    private static let suspendedBit: UInt8 = 1
    private static let cancelledBit: UInt8 = 2

    /// Asks a suspended job to stop; false when it is not suspended now (running Lua code, or over).
    func cancelIfSuspended() -> Bool {
        var current = state.load(ordering: .acquiring)
        while current & Self.suspendedBit != 0 && current & Self.cancelledBit == 0 {
            let (exchanged, original) = state.compareExchange(
                expected: current, desired: current | Self.cancelledBit, ordering: .acquiringAndReleasing)
            if exchanged {
                cancelRequest.open()
                return true
            }
            current = original
        }
        return false
    }

    var isCancelled: Bool { state.load(ordering: .acquiring) & Self.cancelledBit != 0 }

    func setSuspended(_ suspended: Bool) {
        if suspended {
            state.bitwiseOr(Self.suspendedBit, ordering: .acquiringAndReleasing)
        } else {
            state.bitwiseAnd(~Self.suspendedBit, ordering: .acquiringAndReleasing)
        }
    }
}

/// A wait that a job's code asked for by suspending: what it waits for, and what the waiting call
/// returns once the job resumes.
struct LuaSuspension: @unchecked Sendable {
    // @unchecked: made by the slice that suspends and used by the next slice of the same job;
    // the object's queue runs them one after the other, ordered by its lock.
    let gate: any Waitable
    /// Pushes what the suspended call returns, throws its error, or suspends again.
    let resume: (LuaCall) throws -> Int32
    /// The wait's edge in the wait-for graph, if it waits for another object's job: left as soon
    /// as the gate opens (`ObjectState.suspend`).
    let edge: WaitGraph.Edge?
}

/// The job running in a state now, as the functions it calls see it: whether they may suspend it,
/// and where they leave the wait they suspend on. One per object state, reused by each job (the
/// object runs one job at a time, and a suspended one holds the queue until it ends), so a job
/// that never suspends allocates none.
final class RunningLuaJob {
    /// The job's coroutine: only calls made directly in it may suspend the job (a wait inside a
    /// coroutine the job made blocks the thread, as Lua code outside desync expects).
    var coroutine: OpaquePointer?
    var control: LuaJobControl?
    /// Set by the function that suspends the job, taken when the slice returns.
    var suspension: LuaSuspension?
    /// Set when the job resumes: what the suspended call returns.
    var resumeAction: ((LuaCall) throws -> Int32)?

    /// Starts a new job's first slice.
    func reset(coroutine: OpaquePointer, control: LuaJobControl?) {
        self.coroutine = coroutine
        self.control = control
        suspension = nil
        resumeAction = nil
    }
}

/// A job that suspended: everything its next slice needs. Touched only by the slices of its job,
/// which run as jobs of its object, one at a time.
final class SuspendedLuaJob: @unchecked Sendable {
    let object: LuaObject
    let running: RunningLuaJob
    /// The job's coroutine, and its reference in the object state's registry.
    let coroutine: OpaquePointer
    let coroutineRef: Int32
    let end: LuaJobEnd
    let kind: JobKind

    init(object: LuaObject, running: RunningLuaJob, coroutine: OpaquePointer, coroutineRef: Int32, end: LuaJobEnd, kind: JobKind) {
        self.object = object
        self.running = running
        self.coroutine = coroutine
        self.coroutineRef = coroutineRef
        self.end = end
        self.kind = kind
    }
}
