import NIOConcurrencyHelpers

/// Who waits for whom, across every object of the process: the running (or suspended) job of
/// one queue waits for a job of another. A wait that would close a cycle can never end (each job
/// in it holds its queue until the next one finishes), so it is refused, in the waiter that
/// would close it, with the cycle named.
///
/// Each queue has at most one job that waits at a time (the one holding it), so the graph is a
/// set of chains: closing a cycle means the chain from the target leads back to the waiter. The
/// chains are short, and the lock is taken only by waits that cross objects, never per job.
package enum WaitGraph {
    /// Each waiting queue's target.
    private static let edges = NIOLockedValueBox([ObjectIdentifier: QueueCore]())

    /// The job holding `waiter` starts waiting for a job of `target`. Returns nil, the edge
    /// recorded (end it with ``leave(_:)``), or, when it would close a cycle, the cycle's
    /// description (`job on A waits for B, job on B waits for A`), nothing recorded.
    package static func enter(_ waiter: QueueCore, waitsFor target: QueueCore) -> String? {
        edges.withLockedValue { edges in
            var chain: [(QueueCore, QueueCore)] = [(waiter, target)]
            var next = target
            // A chain longer than the number of edges has a cycle that does not pass through
            // `waiter`: impossible while every wait goes through here, but never loop on it.
            var steps = 0
            while next !== waiter {
                guard let after = edges[ObjectIdentifier(next)], steps <= edges.count else {
                    edges[ObjectIdentifier(waiter)] = target
                    return nil
                }
                chain.append((next, after))
                next = after
                steps += 1
            }
            return chain.map { "job on \($0.0.label) waits for \($0.1.label)" }.joined(separator: ", ")
        }
    }

    /// The wait that `enter` recorded for `waiter` is over.
    package static func leave(_ waiter: QueueCore) {
        _ = edges.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(waiter)) }
    }
}
