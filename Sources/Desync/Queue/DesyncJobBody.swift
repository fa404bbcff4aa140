/// A job for ``Desync/async(body:)``: a value of the caller's own type instead of a closure.
///
/// A closure job allocates its context on the submitting thread and frees it on the worker's;
/// a body of at most three words is stored in the job itself, so queuing it allocates nothing
/// and no memory crosses between the two threads but the queue's own slots. Package-only: the
/// Lua host uses it for its everyday jobs (a function and a scalar argument).
///
/// Conform concrete (non-generic) types: the queue calls the body through its conformance, and
/// a generic type's conformance runs unspecialised code.
@usableFromInline
package protocol DesyncJobBody<Value>: JobBody {
    associatedtype Value
    /// Runs the job on the object's value, on whichever thread runs the queue.
    func run(_ value: inout Value)
}

extension DesyncJobBody {
    @inlinable
    package func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        run(&value.assumingMemoryBound(to: Value.self).pointee)
    }
}
