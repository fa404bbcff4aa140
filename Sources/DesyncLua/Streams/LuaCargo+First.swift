extension LuaCargo {
    /// A cargo of the first value alone; nil when there is none or it is nil (which a stream
    /// cannot carry). The graph is kept whole: tables only the other values reach come along, and are
    /// built and dropped again in the target (cheap next to a copy of the graph without them).
    var firstValue: LuaCargo? {
        switch storage {
        case .none, .one(.luaNil), .two(.luaNil, _): return nil
        case .one(let first), .two(let first, _): return LuaCargo(storage: .one(first))
        case .graph: break
        }
        guard let first = graph.roots.first else { return nil }
        if case .luaNil = first { return nil }
        var graph = graph
        graph.roots = [first]
        return LuaCargo(graph: graph)
    }
}
