import Desync
import Foundation
import Testing

@testable import DesyncLua

@Suite("Lua under a simulated schedule")
struct SimulationRuntimeTests {
    /// Runs `script` in a fresh runtime on a scheduler simulating `seed`; returns what the script
    /// left in the global `out` (a string), or its error.
    private func run(_ script: String, seed: UInt64, strategy: SimulatedSchedule.Strategy = .uniform) -> String {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: 0))
        do {
            try runtime.simulate(SimulatedSchedule(seed: seed, strategy: strategy))
        } catch {
            return "error: \(error)"
        }
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("desync-sim-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        if let error = runtime.execute(script + "\nlocal f = assert(io.open(\"\(path)\", \"w\")); f:write(tostring(out)); f:close()") {
            return "error: \(error)"
        }
        runtime.waitUntilIdle()
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? "no output"
    }

    private let interleaving = """
        local log = {}
        local objects = {}
        for _, name in ipairs({ "a", "b", "c" }) do objects[#objects + 1] = desync.new({ name = name }, { name = name }) end
        local done = {}
        for _, o in ipairs(objects) do
          done[#done + 1] = o:future(function(d)
            for i = 1, 3 do
              desync.sleep(0)
              d.log = (d.log or "") .. d.name .. i .. " "
            end
            return d.log
          end)
        end
        local record = desync.new({ s = "" })
        for _, o in ipairs(objects) do
          for i = 1, 3 do
            o:async(function(d, r) local name = d.name; r:async(function(x) x.s = x.s .. name end) end, record)
          end
        end
        for _, f in ipairs(done) do f:wait() end
        out = record:sync(function(x) return x.s end)
        """

    @Test("the same seed gives the same interleaving of Lua jobs; different seeds differ")
    func deterministic() {
        for seed: UInt64 in 1...8 {
            let first = run(interleaving, seed: seed)
            #expect(!first.hasPrefix("error"), "\(first)")
            #expect(first == run(interleaving, seed: seed), "seed \(seed)")
        }
        let distinct = Set((1...12).map { run(interleaving, seed: UInt64($0)) })
        #expect(distinct.count > 3, "\(distinct)")
    }

    @Test("desync.sleep(3600) on the host and in a job ends at once, with desync.clock() 3600 later")
    func virtualSleep() {
        let start = ContinuousClock.now
        let out = run("""
            local t0 = desync.clock()
            desync.sleep(3600)
            local t1 = desync.clock()
            local o = desync.new({})
            o:sync(function() desync.sleep(1800) end)
            local t2 = desync.clock()
            local f = o:future(function() desync.sleep(10) return 1 end)
            local timedOut = f:wait(5)
            local t3 = desync.clock()
            out = string.format("%.3f %.3f %.3f %s", t1 - t0, t2 - t1, t3 - t2, tostring(timedOut))
            """, seed: 3)
        let parts = out.split(separator: " ")
        #expect(parts.count == 4, "\(out)")
        if parts.count == 4 {
            #expect(abs(Double(parts[0])! - 3600) < 0.01)
            #expect(abs(Double(parts[1])! - 1800) < 0.01)
            #expect(abs(Double(parts[2])! - 5) < 0.01, "a timed wait ends at its virtual deadline")
            #expect(parts[3] == "nil")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("a wait nothing can end is reported, not a hang")
    func stuckIsReported() {
        let out = run("""
            local s = desync.stream(1)
            local o = desync.new({})
            local ok, e = pcall(function() return o:sync(function() return s:receive() end) end)
            out = tostring(ok) .. " " .. tostring(e)
            """, seed: 1)
        #expect(out.hasPrefix("false"), "\(out)")
        #expect(out.contains("nothing can make progress"), "\(out)")
    }

    /// Two workers add 1 to a shared counter each: racy when the read and the write are two
    /// `sync`s with a suspension between them.
    private func counter(racy: Bool) -> String {
        let add = racy
            ? "local n = counter:sync(function(c) return c.n end); desync.sleep(0); counter:sync(function(c, v) c.n = v end, n + 1)"
            : "counter:sync(function(c) c.n = c.n + 1 end)"
        return """
            counter = desync.new({ n = 0 }, { name = "counter" })
            local workers = { desync.new({}, { name = "w1" }), desync.new({}, { name = "w2" }) }
            local done = {}
            for _, w in ipairs(workers) do
              done[#done + 1] = w:future(function(_, counter) \(add) end, counter)
            end
            for _, f in ipairs(done) do f:wait() end
            out = counter:sync(function(c) return c.n end)
            """
    }

    @Test("seeds find the lost update of a racy read-then-write; the atomic version never loses one")
    func racyCounter() {
        let racy = (1...100).map { run(counter(racy: true), seed: UInt64($0)) }
        #expect(racy.allSatisfy { $0 == "1" || $0 == "2" }, "\(Set(racy))")
        let lost = racy.indices.filter { racy[$0] == "1" }
        #expect(!lost.isEmpty, "no seed of 100 lost an update")
        if let seed = lost.first {
            for _ in 1...10 { #expect(run(counter(racy: true), seed: UInt64(seed + 1)) == "1") }
        }
        for seed: UInt64 in 1...100 { #expect(run(counter(racy: false), seed: seed) == "2") }
    }

    @Test("a simulated run's trace is the same for the same seed, and shows each pick's ready queues")
    func traces() throws {
        let script = """
            desync.trace.start()
            \(interleaving)
            local events = desync.trace.stop()
            local picks, json = 0, {}
            for _, e in ipairs(events) do
              if e.ready then
                picks = picks + 1
                local names = {}
                for _, name in ipairs(e.ready) do names[#names + 1] = name end
                assert(table.concat(names, ","):find(e.object, 1, true), "the picked object is among the ready ones")
              end
              json[#json + 1] = string.format("%s %s %.6f %.6f %s", e.object, e.kind, e.started, e.finished, e.ready and table.concat(e.ready, ",") or "-")
            end
            assert(picks > 10, picks .. " picks")
            out = table.concat(json, "\\n")
            """
        let first = run(script, seed: 5)
        #expect(!first.hasPrefix("error"), "\(first)")
        #expect(first == run(script, seed: 5))
        #expect(first != run(script, seed: 6))
    }

    @Test("a cycle of syncs under simulation is reported as a deadlock naming the objects")
    func cycleReported() {
        let out = run("""
            local a = desync.new({}, { name = "A" })
            local b = desync.new({}, { name = "B" })
            local fa = a:future(function(_, other) desync.sleep(0); return other:sync(function() return 1 end) end, b)
            local fb = b:future(function(_, other) desync.sleep(0); return other:sync(function() return 2 end) end, a)
            local oka, ea = pcall(fa.wait, fa)
            local okb, eb = pcall(fb.wait, fb)
            out = tostring(oka) .. " " .. tostring(ea) .. " | " .. tostring(okb) .. " " .. tostring(eb)
            """, seed: 2)
        #expect(out.contains("deadlock"), "\(out)")
        #expect(out.contains("A") && out.contains("B"), "\(out)")
    }

    @Test("streams and pipes run under simulation, deterministically")
    func streamsAndPipes() {
        let script = """
            local source = desync.stream(2)
            local stage = desync.new({ seen = {} }, { name = "stage" })
            local out_stream = stage:pipe(source, function(d, x) d.seen[#d.seen + 1] = x; return x * 10 end)
            local producer = desync.new({}, { name = "producer" })
            producer:async(function(_, s) for i = 1, 6 do s:send(i) end s:close() end, source)
            local got = {}
            for x in out_stream:iter() do got[#got + 1] = x end
            out = table.concat(got, ",")
            """
        let first = run(script, seed: 11)
        #expect(first == "10,20,30,40,50,60", "\(first)")
        #expect(run(script, seed: 12) == first)
    }

    @Test("runSimulatedSchedule runs what can run (the REPL between lines), and leaves a job waiting for the host")
    func runUntilQuiet() {
        let runtime = LuaRuntime(scheduler: Scheduler(simulated: 1))
        #expect(runtime.execute("""
            s = desync.stream()
            o = desync.new({ n = 0 })
            t0 = desync.clock()
            o:async(function(d) desync.sleep(100); d.n = 1 end)
            w = desync.new({})
            got = w:future(function(_, s) return s:receive() end, s)
            """) == nil)
        runtime.runSimulatedSchedule()
        #expect(runtime.execute("""
            assert(o:pending() == 0, "the sleeping job ran")
            assert(desync.clock() - t0 >= 100, "virtual time moved")
            assert(got:status() ~= "done", "the receiver still waits for the host")
            s:send(42)
            assert(got:wait() == 42)
            """) == nil)
    }

    @Test("a wait inside a coroutine a job made (it blocks) is never mistaken for a deadlock")
    func blockingWaitInJobCoroutine() {
        // The review's case: seed 8 reported "sync on A from inside one of its own jobs".
        let script = """
            local A, D, X = desync.new({}, { name = "A" }), desync.new({}, { name = "D" }), desync.new({}, { name = "X" })
            X:async(function() end)
            local function blocking(f, ...) return coroutine.wrap(f)(...) end
            local fa = A:future(function(_, X, blocking) return blocking(function(X) return X:sync(function() return "x" end) end, X) end, X, blocking)
            local fd = D:future(function(_, A, blocking) return blocking(function(A) return A:sync(function() return "a" end) end, A) end, A, blocking)
            out = tostring(fa:wait()) .. tostring(fd:wait())
            """
        for seed in UInt64(1)...20 {
            #expect(run(script, seed: seed) == "xa", "seed \(seed)")
        }
    }

    @Test("math.random draws the same numbers for the same seed, in the host and in jobs")
    func randomness() {
        let script = """
            local o = desync.new({})
            out = math.random(1, 1000000) .. " " .. o:sync(function() return math.random(1, 1000000) end)
            """
        let first = run(script, seed: 21)
        #expect(!first.hasPrefix("error"), "\(first)")
        #expect(first == run(script, seed: 21))
        #expect(first != run(script, seed: 22))
    }

    @Test("Ctrl-C stops a simulated wait that virtual time would take long to end")
    func interruptStopsSimulatedWait() {
        let runtime = LuaRuntime(scheduler: Scheduler(maxThreads: 0))
        #expect(throws: Never.self) { try runtime.simulate(SimulatedSchedule(seed: 1)) }
        let interrupter = runtime.interrupter
        let thread = Thread {
            usleep(300_000)
            interrupter.interrupt()
        }
        thread.start()
        let start = ContinuousClock.now
        // A heartbeat job keeps the schedule busy: a billion virtual seconds are a billion steps.
        let error = runtime.execute("""
            local o = desync.new({})
            o:async(function() while true do desync.sleep(1) end end)
            desync.sleep(1e9)
            """)
        #expect(error?.contains("interrupted!") == true, "\(error ?? "no error")")
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
