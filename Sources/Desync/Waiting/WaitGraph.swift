import NIOConcurrencyHelpers
import Synchronization

/// Who waits for whom, across every object of the process: a job of one queue (running, or
/// suspended) waits for a job of another. A wait that would close a cycle can never end (each job
/// in it holds its queue until the next one finishes), so it is refused, in the waiter that
/// would close it, with the cycle named.
///
/// A queue usually waits for one other at a time (the job holding it waits), but a job that runs
/// another object's `sync` inline waits through it too, so a queue may have several edges. The
/// graph is small and the lock is taken only by waits that cross objects, never per job.
package enum WaitGraph {
    /// A wait that would close a cycle, as `job on A waits for B, job on B waits for A`.
    package struct Cycle: Error, CustomStringConvertible {
        package let description: String
    }

    /// A recorded wait. `leave()` ends it; calling it again does nothing, so the wait can end
    /// both when its target is reached and when the waiter goes on.
    package final class Edge: Sendable {
        private let waiter: QueueCore
        private let target: QueueCore
        private let left = Atomic<Bool>(false)

        fileprivate init(waiter: QueueCore, target: QueueCore) {
            self.waiter = waiter
            self.target = target
        }

        package func leave() {
            guard !left.exchange(true, ordering: .acquiringAndReleasing) else { return }
            WaitGraph.remove(waiter, target)
        }
    }

    /// One recorded wait. The same wait may be recorded twice (by the Lua runtime, then by the
    /// core's wait it makes): two entries, each removed by its own edge.
    private struct Entry {
        let waiter: QueueCore
        let target: QueueCore
    }

    /// Every wait recorded now: a few at a time (one per waiting job, and one per `sync` that
    /// runs inline in a job), so a flat list, scanned, beats dictionaries: a hop of nested syncs
    /// entered and left the graph in about 5,700 instructions with a dictionary of dictionaries
    /// and a path search that allocated, most of the hop (callgrind). The list keeps its
    /// capacity, so entering and leaving allocate nothing but the edge.
    private static let edges = NIOLockedValueBox([Entry]())

    /// The job holding `waiter` starts waiting for a job of `target`: the recorded edge, or, when
    /// it would close a cycle, the cycle, nothing recorded.
    package static func enter(_ waiter: QueueCore, waitsFor target: QueueCore) -> Result<Edge, Cycle> {
        let cycle: String? = edges.withLockedValue { edges in
            if let path = path(from: target, to: waiter, in: edges) {
                let chain = [waiter] + path
                return zip(chain, chain.dropFirst())
                    .map { "job on \($0.0.label) waits for \($0.1.label)" }.joined(separator: ", ")
            }
            edges.append(Entry(waiter: waiter, target: target))
            return nil
        }
        if let cycle { return .failure(Cycle(description: cycle)) }
        return .success(Edge(waiter: waiter, target: target))
    }

    /// The queues from `start` to `goal` along recorded waits (both ends included), if any: a
    /// breadth-first search that visits each queue once. A queue that waits for nothing (the
    /// usual target) ends it at once, allocating nothing.
    private static func path(from start: QueueCore, to goal: QueueCore, in edges: [Entry]) -> [QueueCore]? {
        if start === goal { return [start] }
        guard edges.contains(where: { $0.waiter === start }) else { return nil }
        // Each queue reached, with the index of the one it was reached from.
        var reached: [(queue: QueueCore, from: Int)] = [(start, -1)]
        var next = 0
        while next < reached.count {
            let queue = reached[next].queue
            for entry in edges where entry.waiter === queue {
                if reached.contains(where: { $0.queue === entry.target }) { continue }
                reached.append((entry.target, next))
                if entry.target === goal {
                    var path: [QueueCore] = []
                    var index = reached.count - 1
                    while index >= 0 {
                        path.append(reached[index].queue)
                        index = reached[index].from
                    }
                    return path.reversed()
                }
            }
            next += 1
        }
        return nil
    }

    private static func remove(_ waiter: QueueCore, _ target: QueueCore) {
        edges.withLockedValue { edges in
            guard let index = edges.lastIndex(where: { $0.waiter === waiter && $0.target === target }) else { return }
            edges.swapAt(index, edges.count - 1)
            edges.removeLast()
        }
    }
}
