import CLua
import CLuaHost
import DesyncLua
import Foundation

/// Ctrl-C: the C handler (CLua/interrupt.h) stops pure Lua code with a hook, as `lua` does; a
/// blocking call (`sync`, `wait`, `sleep`, the final wait of a batch run) is not Lua code, so a
/// thread of ours also asks the runtime to interrupt it, through its Sendable `interrupter`.
/// Every Ctrl-C reaches the runtime, at the prompt too: the REPL clears it before each line.
struct InterruptSignals {
    private let slot: UnsafeMutablePointer<desync_host_interrupt>

    /// Installs the handling; the calling thread must be the one that runs the host's Lua code.
    /// Nil when the system refuses (then Ctrl-C ends the program, its default).
    static func install(for runtime: LuaRuntime) -> InterruptSignals? {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else { return nil }
        let readEnd = descriptors[0]
        let writeEnd = descriptors[1]
        // A full pipe already holds a pending interrupt: the handler must never block on it.
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let interrupter = runtime.interrupter
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(readEnd, &byte, 1)
                if count == 1 {
                    interrupter.interrupt()
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
        thread.name = "desync-lua interrupt"
        thread.start()
        guard let slot = desync_host_install_sigint(writeEnd) else { return nil }
        runtime.hostThreadLuaCode = JobCodeInterrupts(slot: slot, interrupter: interrupter)
        return InterruptSignals(slot: slot)
    }

    /// How many Ctrl-C arrived while no Lua code ran: a line reader compares it before and after.
    var idleInterruptCount: Int32 { desync_host_idle_interrupts(slot) }

    /// Installs the handler again: a Ctrl-C while Lua code ran set SIGINT back to its default
    /// (a second one ends the process, as in lua.c) until the next chunk, or the final wait.
    func rearm() {
        desync_host_rearm_sigint(slot)
    }

    /// Brackets Lua code run in `state`: Ctrl-C during `body` interrupts it.
    func interruptible<Result>(_ state: OpaquePointer, _ body: () -> Result) -> Result {
        rearm()
        desync_host_set_running(slot, state)
        let result = body()
        desync_host_set_running(slot, nil)
        desync_host_clear_stop_hook(slot, state)
        return result
    }
}

/// Ctrl-C for jobs' Lua code on the host's thread: while it runs, the handler's hook goes on the
/// job's state instead of the host's.
private struct JobCodeInterrupts: HostThreadLuaCode, @unchecked Sendable {
    // @unchecked: the slot is the signal handler's data; it is read and written only on the
    // thread that runs Lua code, which is the only thread these methods are called on.
    let slot: UnsafeMutablePointer<desync_host_interrupt>
    let interrupter: LuaInterrupter

    func entering(_ state: OpaquePointer) -> OpaquePointer? {
        let previous = desync_host_running(slot)
        desync_host_set_running(slot, state)
        return previous
    }

    func leaving(_ state: OpaquePointer, resuming previous: OpaquePointer?) {
        desync_host_set_running(slot, previous)
        desync_host_clear_stop_hook(slot, state)
        // A Ctrl-C stopped this job: the wait that ran it must stop too, before it runs the next.
        if desync_host_take_running_interrupt(slot) != 0 { interrupter.interrupt() }
    }
}
