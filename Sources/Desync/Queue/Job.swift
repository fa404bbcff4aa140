import DequeModule

/// What kind of call queued a job; kept for statistics and tracing.
public enum JobKind: UInt8, Sendable, CaseIterable {
    case sync, async, future, after, pipe
}

/// A job's code with the value's type erased, so that the queue machinery (`QueueCore`,
/// `QueueState`, the scheduler) is not generic: unspecialised generic code looks up type metadata
/// (`swift_getGenericMetadata`) at run time, and that lookup used to cost more than the job itself.
///
/// Conformers are small structs, at most three words, so that `any JobBody` holds them in the
/// existential's inline buffer: queuing a job then allocates nothing beyond its closure's context.
@usableFromInline
package protocol JobBody: Sendable {
    /// Runs the job on the object's value, which `value` points to (a `T` for the queue's `T`).
    func run(on value: UnsafeMutableRawPointer)
}

/// A closure on the value, stored as it is (two words): `async`, `pipe`, `sync` behind a queue.
@usableFromInline
struct ClosureJob<T>: JobBody {
    @usableFromInline let body: @Sendable (inout T) -> Void

    @inlinable
    init(_ body: @escaping @Sendable (inout T) -> Void) { self.body = body }

    @usableFromInline
    func run(on value: UnsafeMutableRawPointer) {
        body(&value.assumingMemoryBound(to: T.self).pointee)
    }
}

/// A `future` job: the future and the closure (three words), so that no wrapping closure, and no
/// allocation for it, is needed.
@usableFromInline
struct FutureJob<T, R: Sendable>: JobBody {
    @usableFromInline let future: DesyncFuture<R>
    @usableFromInline let body: @Sendable (inout T) throws -> R

    @inlinable
    init(future: DesyncFuture<R>, body: @escaping @Sendable (inout T) throws -> R) {
        self.future = future
        self.body = body
    }

    @usableFromInline
    func run(on value: UnsafeMutableRawPointer) {
        let pointer = value.assumingMemoryBound(to: T.self)
        future.run { try body(&pointer.pointee) }
    }
}

/// One queued operation on an object's value.
@usableFromInline
struct Job: Sendable {
    /// When set, the job may not start before this gate opens (`after`); the queue waits
    /// holding no thread.
    let gate: (any Gate)?
    let kind: JobKind
    let body: any JobBody
    /// When it was queued, for tracing; 0 when tracing was off.
    var queuedAt: UInt64 = 0

    init(gate: (any Gate)?, kind: JobKind, body: consuming any JobBody) {
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
    mutating func run(on value: UnsafeMutableRawPointer) {
        body.run(on: value)
    }

    /// A closure on a `T`: call sites inside the module stay as they were.
    init<T>(gate: (any Gate)?, kind: JobKind, body: @escaping @Sendable (inout T) -> Void) {
        self.init(gate: gate, kind: kind, body: ClosureJob(body))
    }
}

/// A queue's jobs, in order. A noncopyable deque because its `append` and `prepend` consume the
/// job: `Deque.append` borrows it and copies it in, a retain and a release of the job's closure
/// per job (perf: 7% of a thread submitting `async` jobs), which a move does not need.
typealias JobList = UniqueDeque<Job>
