import CLua
import NIOConcurrencyHelpers
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where errors of `async` jobs go when nothing observes them: straight to stderr, or, once a
/// state has installed `desync.on_error(fn)`, to that state's handler, called the next time that
/// state calls into desync (or, for the host, before the REPL's next prompt).
final class ErrorReports: Sendable {
    struct Report: Sendable {
        let error: LuaJobError
        let object: LuaObject
        /// What failed: "async job", or "future" for a failed future nobody waited for.
        var source = "async job"

        var line: String { "desync: error in \(source) on \(object.name): \(error.text)" }
    }

    private struct State {
        var handlerOwner: Int?
        var inbox: [Report] = []
        var unobserved = 0
    }

    private let state = NIOLockedValueBox(State())
    /// Where the lines about unobserved errors go; nil: straight to stderr.
    private let printer = NIOLockedValueBox<(@Sendable (String) -> Void)?>(nil)
    /// Told (on the failing job's thread) each time a report waits for a handler.
    private let queuedNotifier = NIOLockedValueBox<(@Sendable () -> Void)?>(nil)
    /// Reports waiting in the inbox: lets every call into desync skip the lock when there are none.
    private let waiting = Atomic<Int>(0)

    /// The registry key of the handler function in its owner's state.
    static let handlerKey = "desync.on_error"

    /// How many async errors were printed because no handler was installed (or its state went
    /// away before it ran), plus how many times a handler itself failed.
    var unobservedCount: Int { state.withLockedValue { $0.unobserved } }

    /// Replaces the writer of the lines about unobserved errors (see
    /// ``LuaRuntime/asyncErrorPrinter``).
    var linePrinter: (@Sendable (String) -> Void)? {
        get { printer.withLockedValue { $0 } }
        set { printer.withLockedValue { $0 = newValue } }
    }

    /// Called each time a report is queued for an `on_error` handler (see
    /// ``LuaRuntime/pendingErrorNotifier``).
    var pendingNotifier: (@Sendable () -> Void)? {
        get { queuedNotifier.withLockedValue { $0 } }
        set { queuedNotifier.withLockedValue { $0 = newValue } }
    }

    /// One line about an error nobody observes: to the installed printer, else to stderr.
    private func printLine(_ line: String) {
        if let print = linePrinter {
            print(line)
        } else {
            StandardError.writeLine(line)
        }
    }

    /// An error nobody observes, from an `async` job (or a pipe's item), or, with `source`
    /// "future", a failed future collected without anyone waiting for it.
    func report(_ error: LuaJobError, on object: LuaObject, source: String = "async job") {
        let report = Report(error: error, object: object, source: source)
        let queued = state.withLockedValue { state -> Bool in
            guard state.handlerOwner != nil else {
                state.unobserved += 1
                return false
            }
            state.inbox.append(report)
            return true
        }
        if queued {
            waiting.add(1, ordering: .releasing)
            pendingNotifier?()
        } else {
            printLine(report.line)
        }
    }

    /// An error that belongs to no object and that nobody can observe (a stream generator run in
    /// the background): printed, and counted as unobserved.
    func reportUnattached(_ line: String) {
        state.withLockedValue { $0.unobserved += 1 }
        printLine(line)
    }

    func hasReports(for stateID: Int) -> Bool {
        guard waiting.load(ordering: .acquiring) > 0 else { return false }
        return state.withLockedValue { $0.handlerOwner == stateID && !$0.inbox.isEmpty }
    }

    /// Makes the function on top of `L`'s stack (popped) the handler, or removes the handler
    /// when it is nil. Reports already waiting for a previous owner go to the new one.
    func install(from L: OpaquePointer, context: LuaStateContext) {
        let lua = LuaStack(L)
        let clearing = lua.type(at: -1) == LUA_TNIL
        lua.push(cString: Self.handlerKey)
        lua.insert(at: -2)
        lua.rawSet(DESYNC_LUA_REGISTRYINDEX)
        let orphans: [Report] = state.withLockedValue { state in
            if clearing {
                guard state.handlerOwner == context.id else { return [] }
                state.handlerOwner = nil
                let orphans = state.inbox
                state.inbox = []
                return orphans
            }
            state.handlerOwner = context.id
            return []
        }
        printUnobserved(orphans)
    }

    /// The state `stateID` is closing (or closed): if it owns the handler, the handler is gone,
    /// and reports waiting for it are printed and counted as unobserved, as if none had been
    /// installed. Without this they would wait in the inbox for a state that no longer exists.
    func ownerClosed(_ stateID: Int) {
        let orphans: [Report] = state.withLockedValue { state in
            guard state.handlerOwner == stateID else { return [] }
            state.handlerOwner = nil
            defer { state.inbox = [] }
            return state.inbox
        }
        printUnobserved(orphans)
    }

    /// Reports taken out of the inbox that no handler will see: printed, and counted.
    private func printUnobserved(_ orphans: [Report]) {
        guard !orphans.isEmpty else { return }
        waiting.subtract(orphans.count, ordering: .relaxed)
        state.withLockedValue { $0.unobserved += orphans.count }
        for report in orphans {
            printLine(report.line)
        }
    }

    /// Calls the handler of `context`'s state for each waiting report, in arrival order.
    func deliver(to context: LuaStateContext, in L: OpaquePointer) throws {
        let lua = LuaStack(L)
        let reports: [Report] = state.withLockedValue { state in
            guard state.handlerOwner == context.id else { return [] }
            let reports = state.inbox
            state.inbox = []
            return reports
        }
        guard !reports.isEmpty else { return }
        waiting.subtract(reports.count, ordering: .relaxed)
        let top = lua.top
        defer { lua.setTop(top) }
        guard lua.reserve(4) else { return }
        for report in reports {
            lua.push(cString: Self.handlerKey)
            lua.rawGet(DESYNC_LUA_REGISTRYINDEX)
            report.error.value.push(onto: L)
            LuaProxy.push(report.object, onto: L)
            if lua.protectedCall(arguments: 2, results: 0) != LUA_OK {
                // Nothing observes the handler's own error: it counts as unobserved (a batch run
                // exits with 1), like the error it was handed would have without a handler.
                let message = describeError(at: -1, in: L)
                state.withLockedValue { $0.unobserved += 1 }
                StandardError.writeLine("desync: error in on_error handler: \(message)")
            }
            lua.setTop(top)
        }
    }
}

/// Text for an error value, as Lua's stand-alone interpreter shows it: strings and numbers as
/// they are; a value whose `__tostring` gives a string, that string (the metamethod runs under
/// `desync_pcall`: an error or a yield in it only means it is not used); anything else
/// "(error object is a T value)". Call it where Lua code may run in `L`.
func describeError(at index: Int32, in L: OpaquePointer) -> String {
    let lua = LuaStack(L)
    let type = lua.type(at: index)
    if type == LUA_TSTRING || type == LUA_TNUMBER { return lua.string(at: index)! }
    if type == LUA_TTABLE || type == LUA_TUSERDATA, lua.reserve(2) {
        let value = lua.absoluteIndex(index)
        let top = lua.top
        defer { lua.setTop(top) }
        desync_pusherrortostring(L)
        lua.pushValue(at: value)
        if lua.protectedCall(arguments: 1, results: 1) == LUA_OK, lua.type(at: -1) == LUA_TSTRING {
            return lua.string(at: -1)!
        }
    }
    return "(error object is a \(lua.typeName(of: type)) value)"
}

/// Whole lines to stderr, never interleaved with another thread's line.
enum StandardError {
    static func writeLine(_ text: String) {
        flockfile(desync_stderr())
        fputs(text, desync_stderr())
        fputc(10, desync_stderr())
        funlockfile(desync_stderr())
        fflush(desync_stderr())
    }
}
