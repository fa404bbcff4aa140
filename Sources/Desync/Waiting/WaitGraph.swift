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

    private struct Targets {
        /// Each target with the number of waits recorded for it (the same wait may be recorded
        /// twice: by the Lua runtime, then by the core's wait it makes).
        var counts: [ObjectIdentifier: (queue: QueueCore, count: Int)] = [:]
    }

    private static let edges = NIOLockedValueBox([ObjectIdentifier: Targets]())

    /// The job holding `waiter` starts waiting for a job of `target`: the recorded edge, or, when
    /// it would close a cycle, the cycle, nothing recorded.
    package static func enter(_ waiter: QueueCore, waitsFor target: QueueCore) -> Result<Edge, Cycle> {
        let cycle: String? = edges.withLockedValue { edges in
            if let path = path(from: target, to: waiter, in: edges) {
                let chain = [waiter] + path
                return zip(chain, chain.dropFirst())
                    .map { "job on \($0.0.label) waits for \($0.1.label)" }.joined(separator: ", ")
            }
            let key = ObjectIdentifier(waiter)
            let count = edges[key]?.counts[ObjectIdentifier(target)]?.count ?? 0
            edges[key, default: Targets()].counts[ObjectIdentifier(target)] = (target, count + 1)
            return nil
        }
        if let cycle { return .failure(Cycle(description: cycle)) }
        return .success(Edge(waiter: waiter, target: target))
    }

    /// The queues from `start` to `goal` along recorded waits (both ends included), if any: a
    /// depth-first search that visits each queue once.
    private static func path(
        from start: QueueCore, to goal: QueueCore, in edges: [ObjectIdentifier: Targets]
    ) -> [QueueCore]? {
        var visited: Set<ObjectIdentifier> = []
        var stack: [[QueueCore]] = [[start]]
        while let path = stack.popLast() {
            let last = path[path.count - 1]
            if last === goal { return path }
            guard visited.insert(ObjectIdentifier(last)).inserted else { continue }
            for (_, next) in edges[ObjectIdentifier(last)]?.counts ?? [:] {
                stack.append(path + [next.queue])
            }
        }
        return nil
    }

    private static func remove(_ waiter: QueueCore, _ target: QueueCore) {
        edges.withLockedValue { edges in
            let key = ObjectIdentifier(waiter), targetKey = ObjectIdentifier(target)
            guard let entry = edges[key]?.counts[targetKey] else { return }
            if entry.count > 1 {
                edges[key]?.counts[targetKey] = (entry.queue, entry.count - 1)
            } else {
                edges[key]?.counts[targetKey] = nil
                if edges[key]?.counts.isEmpty == true { edges[key] = nil }
            }
        }
    }
}
