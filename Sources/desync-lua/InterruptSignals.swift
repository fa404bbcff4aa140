import CEditLine
import DesyncLua
import Foundation

/// Ctrl-C while Lua code runs: the C handler (CEditLine/interrupt.h) stops pure Lua code with a
/// hook, as `lua` does; a blocking call (`sync`, `wait`) is not Lua code, so a thread of ours
/// also asks the runtime to interrupt it. Ctrl-C while no Lua code runs does nothing here.
struct InterruptSignals {
    private let slot: UnsafeMutablePointer<desync_host_interrupt>

    /// `LuaRuntime.interrupt()` is documented as callable from any thread, and it is the only
    /// member this wrapper lets the interrupt thread reach.
    private struct InterruptTarget: @unchecked Sendable {
        let runtime: LuaRuntime
        func interrupt() { runtime.interrupt() }
    }

    /// Installs the handling; the calling thread must be the one that runs the host's Lua code.
    /// Nil when the system refuses (then Ctrl-C ends the program, its default).
    static func install(for runtime: LuaRuntime) -> InterruptSignals? {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return nil }
        let readEnd = descriptors[0]
        let writeEnd = descriptors[1]
        // A full pipe already holds a pending interrupt: the handler must never block on it.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let target = InterruptTarget(runtime: runtime)
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    target.interrupt()
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        thread.name = "desync-lua interrupt"
        thread.start()
        return desync_host_install_sigint(writeEnd).map(InterruptSignals.init)
    }

    /// How many Ctrl-C arrived while no Lua code ran: a line reader compares it before and after.
    var idleInterruptCount: Int32 { desync_host_idle_interrupts(slot) }

    /// Brackets Lua code run in `state`: Ctrl-C during `body` interrupts it.
    func interruptible<Result>(_ state: OpaquePointer, _ body: () -> Result) -> Result {
        desync_host_set_running(slot, state)
        let result = body()
        desync_host_set_running(slot, nil)
        desync_host_clear_stop_hook(slot, state)
        return result
    }
}
