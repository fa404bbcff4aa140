import Testing
@testable import Desync

/// The wait-for graph's bookkeeping (a flat list of waits since the hop benchmarks): waits
/// recorded twice, and cycles found through a queue that waits for several others.
@Suite("Wait-for graph")
struct WaitGraphTests {
    private func cycle(_ result: Result<WaitGraph.Edge, WaitGraph.Cycle>) -> String? {
        if case .failure(let cycle) = result { cycle.description } else { nil }
    }

    @Test("the same wait recorded twice stays until both records are left")
    func duplicateWaits() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let a = Desync(0, label: "A", scheduler: scheduler)
        let b = Desync(0, label: "B", scheduler: scheduler)
        // As the Lua runtime records a `sync` and the core's wait inside it records it again.
        let outer = try WaitGraph.enter(a.waitNode, waitsFor: b.waitNode).get()
        let inner = try WaitGraph.enter(a.waitNode, waitsFor: b.waitNode).get()
        inner.leave()
        #expect(cycle(WaitGraph.enter(b.waitNode, waitsFor: a.waitNode)) == "job on B waits for A, job on A waits for B")
        outer.leave()
        let free = try WaitGraph.enter(b.waitNode, waitsFor: a.waitNode).get()
        free.leave()
    }

    @Test("a cycle is found through any branch, and named along it")
    func branches() throws {
        let scheduler = Scheduler(maxThreads: 0)
        let objects = ["A", "B", "C", "D", "E"].map { Desync(0, label: $0, scheduler: scheduler) }
        let (a, b, c, d, e) = (objects[0], objects[1], objects[2], objects[3], objects[4])
        // A waits for B and C (an inline sync that waits in turn); C waits for D, D for E.
        let edges = try [
            WaitGraph.enter(a.waitNode, waitsFor: b.waitNode).get(),
            WaitGraph.enter(a.waitNode, waitsFor: c.waitNode).get(),
            WaitGraph.enter(c.waitNode, waitsFor: d.waitNode).get(),
            WaitGraph.enter(d.waitNode, waitsFor: e.waitNode).get(),
        ]
        #expect(cycle(WaitGraph.enter(e.waitNode, waitsFor: a.waitNode))
            == "job on E waits for A, job on A waits for C, job on C waits for D, job on D waits for E")
        // B waits for nothing: E may wait for it.
        let eb = try WaitGraph.enter(e.waitNode, waitsFor: b.waitNode).get()
        eb.leave()
        for edge in edges { edge.leave() }
        let free = try WaitGraph.enter(e.waitNode, waitsFor: a.waitNode).get()
        free.leave()
    }
}
