import DequeModule

/// What kind of call queued a job; kept for statistics and tracing.
public enum JobKind: UInt8, Sendable, CaseIterable {
    /// ``Desync/sync(_:)`` or ``Desync/trySync(_:)``.
    case sync
    /// ``Desync/async(_:)``, and a job an actor on ``Desync/executor`` enqueued.
    case async
    /// A `future` job, plain or async (``Desync/future(_:)-5wc0t``, ``Desync/future(_:)-6deou``).
    case future
    /// ``Desync/after(_:_:)``.
    case after
    /// A pipe's job, which takes the items its input has (``Desync/pipe(_:backpressure:_:)-(S,_,_)``,
    /// ``Desync/pipeIn(_:_:)-(S,_)`` and their overloads).
    case pipe
}

/// A job's code with the value's type erased, so that the queue machinery (`QueueCore`,
/// `QueueState`, the scheduler) is not generic: unspecialised generic code looks up type metadata
/// (`swift_getGenericMetadata`) at run time, and that lookup used to cost more than the job itself.
///
/// Conformers are small structs, at most three words, so that `any JobBody` holds them in the
/// existential's inline buffer: queuing a job then allocates nothing beyond its closure's context.
@usableFromInline
package protocol JobBody<Value>: Sendable {
    /// The value type of the queues this job may be queued on (`JobQueue.submit` checks it).
    associatedtype Value
    /// Runs the job on the object's value, which `value` points to (a `Value`), as a job of
    /// `queue`, which it tells (`jobFinishing`) right before it hands back a result.
    func run(on value: UnsafeMutableRawPointer, queue: QueueCore)
}

/// A closure on the value, stored as it is (two words): `async`, `pipe`, `sync` behind a queue.
@usableFromInline
struct ClosureJob<T>: JobBody {
    @usableFromInline typealias Value = T
    @usableFromInline let body: @Sendable (inout T) -> Void

    @inlinable
    init(_ body: @escaping @Sendable (inout T) -> Void) { self.body = body }

    @usableFromInline
    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        body(&value.assumingMemoryBound(to: T.self).pointee)
    }
}

/// A `future` job: the future and the closure (three words), so that no wrapping closure, and no
/// allocation for it, is needed.
@usableFromInline
struct FutureJob<T, R: Sendable>: JobBody {
    @usableFromInline typealias Value = T
    @usableFromInline let future: DesyncFuture<R>
    @usableFromInline let body: @Sendable (inout T) throws -> R

    @inlinable
    init(future: DesyncFuture<R>, body: @escaping @Sendable (inout T) throws -> R) {
        self.future = future
        self.body = body
    }

    @usableFromInline
    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        let pointer = value.assumingMemoryBound(to: T.self)
        future.run(in: queue) { try body(&pointer.pointee) }
    }
}

/// An `after` job: like a future's, with the first future's outcome.
struct AfterJob<T, U: Sendable, R: Sendable>: JobBody {
    typealias Value = T
    let first: DesyncFuture<U>
    let future: DesyncFuture<R>
    let body: @Sendable (inout T, Result<U, any Error>) throws -> R

    func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        let pointer = value.assumingMemoryBound(to: T.self)
        future.run(in: queue) { try body(&pointer.pointee, first.outcome!) }
    }
}

/// One queued operation on an object's value.
@usableFromInline
struct Job: Sendable {
    /// When set, the job may not start before this gate opens (`after`); the queue waits
    /// holding no thread.
    let gate: (any Waitable)?
    let kind: JobKind
    let body: any JobBody
    /// When it was queued (for a job that `resumes`, when it began to wait), for tracing; 0 when
    /// tracing was off.
    var queuedAt: UInt64 = 0
    /// The rest of a job that suspended (`QueueCore.suspendRunningJob`): not a new job, so it is
    /// not counted again, and its trace slice shows the wait before it.
    var resumes = false

    init(gate: (any Waitable)?, kind: JobKind, body: consuming any JobBody) {
        self.gate = gate
        self.kind = kind
        self.body = body
    }

    /// A job with no gate, made in inlinable code (`Desync.async`) and moved into the queue from
    /// there: the type-erased body is then boxed once, with no copy.
    @usableFromInline
    init(kind: JobKind, body: consuming any JobBody) {
        self.init(gate: nil, kind: kind, body: body)
    }

    /// Runs the job's body on the value at `value`. Mutating although it changes nothing: called
    /// on a job in the queue's batch, an inout access lets the body run where it lies, where a
    /// read access copied it first (`batch[i].body.run(on:)` copied the body, and a non-mutating
    /// method the whole job: a retain, a release and two value-witness calls a job, callgrind).
    mutating func run(on value: UnsafeMutableRawPointer, queue: QueueCore) {
        body.run(on: value, queue: queue)
    }
}

/// A queue's jobs, in order. A noncopyable deque because its `append` and `prepend` consume the
/// job: `Deque.append` borrows it and copies it in, a retain and a release of the job's closure
/// per job (perf: 7% of a thread submitting `async` jobs), which a move does not need.
typealias JobList = UniqueDeque<Job>
