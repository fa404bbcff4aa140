import Desync
import DesyncLua
import Foundation
import Testing

/// What the Lua scripts in Tests/lua cannot check themselves: Ctrl-C during a blocked stream
/// call, batch exit with pipes, and volume.
@Suite("Streams and pipes from Lua")
struct StreamTests {
    /// Runs `source` in a fresh runtime on its own thread and interrupts it after `after`
    /// seconds; returns its error, or a note when it did not finish within 20 s.
    private func interrupted(_ source: String, threads: Int, after: Double = 0.2) -> String? {
        let outcome = LuaScriptOutcome()
        let interrupter = NIOLockedValueBoxShim<LuaInterrupter?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: threads))
            interrupter.set(runtime.interrupter)
            outcome.set(runtime.execute(source, name: "=interrupt"))
            finished.signal()
        }
        thread.stackSize = 16 << 20
        thread.start()
        Thread.sleep(forTimeInterval: after)
        for _ in 0..<200 {
            interrupter.get()?.interrupt()
            if finished.wait(timeout: .now() + 0.1) == .success { return outcome.get() }
        }
        return "did not stop within 20 s"
    }

    /// With pool threads these waits block until Ctrl-C; with 0 pool threads nothing could ever
    /// end them (no other thread, no queued job), so they fail at once and say so.
    @Test("Ctrl-C stops a host blocked in receive, send or a wait on a pipe_in future; with 0 threads they fail at once", arguments: [0, 2])
    func interruptBlockedHost(threads: Int) {
        let expected = threads == 0 ? "this wait would never end" : "interrupted!"
        let receiving = interrupted("desync.stream():receive()", threads: threads)
        #expect(receiving?.contains(expected) == true, "\(receiving ?? "finished")")
        let sending = interrupted("local s = desync.stream(1); s:send(1); s:send(2)", threads: threads)
        #expect(sending?.contains(expected) == true, "\(sending ?? "finished")")
        let draining = interrupted("""
            local out = desync.new({}):pipe(desync.stream(), function(_, x) return x end)
            for v in out:iter() do end
            """, threads: threads)
        #expect(draining?.contains(expected) == true, "\(draining ?? "finished")")
        let piping = interrupted("desync.new({}):pipe_in(desync.stream(), function() end):wait()", threads: threads)
        #expect(piping?.contains(expected) == true, "\(piping ?? "finished")")
    }

    @Test("batch exit waits for a pipe's queued items, but not for an open stream", arguments: [0, 2])
    func batchExit(threads: Int) {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: threads))
        let error = runtime.execute("""
            sink = desync.new({ n = 0 })
            local s = desync.stream()
            sink:pipe_in(s, function(data) desync.sleep(0.0005); data.n = data.n + 1 end)
            for i = 1, 200 do s:send(i) end
            s:close()
            open = desync.stream()
            sink:pipe_in(open, function() end)
            """)
        #expect(error == nil, "\(error ?? "")")
        #expect(runtime.waitUntilIdle())
        #expect(runtime.execute("assert(sink:sync(function(d) return d.n end) == 200)") == nil)
    }

    @Test("100,000 items through pipe and pipe_in with uneven delays: each once, in order")
    func volume() {
        let error = runLuaScript("""
            local N = 100000
            local input = desync.stream(16)
            local producer = desync.new({}, { name = "producer" })
            local middle = desync.new({}, { name = "middle" })
            local sink = desync.new({ n = 0, bad = 0 }, { name = "sink" })
            producer:async(function(_, out)
              for i = 1, N do
                if i % 9973 == 0 then desync.sleep(0.002) end
                out:send(i)
              end
              out:close()
            end, input)
            local passed = middle:pipe(input, function(_, x)
              if x % 7919 == 0 then desync.sleep(0.001) end
              return x
            end, 3)
            local done = sink:pipe_in(passed, function(data, x)
              data.n = data.n + 1
              if x ~= data.n then data.bad = data.bad + 1 end
              if x % 10007 == 0 then desync.sleep(0.001) end
            end)
            done:wait()
            local n, bad = sink:sync(function(data) return data.n, data.bad end)
            assert(n == N and bad == 0, n .. " items, " .. bad .. " out of order")
            """, name: "volume.lua", threads: 4, seconds: 300)
        #expect(error == nil, "\(error ?? "")")
    }
}
