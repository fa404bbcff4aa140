/// The one rule for a pool size that a user gives: `desync.scheduler.set_max_threads(n)`,
/// `desync-lua -t N` / `--threads N` and the REPL's `:threads N` all check it here, so they
/// accept the same counts and refuse the others with the same words.
public enum ThreadCount {
    /// The counts accepted. 0 is a real setting (queued work runs when a wait reaches it); the
    /// upper bound keeps a typo from asking the system for a hundred thousand threads.
    public static let range = 0...4096

    /// Why a count outside `range` is refused.
    public static let rule = "thread count must be between \(range.lowerBound) and \(range.upperBound)"

    /// `count`, or nil when it breaks the rule.
    public static func checked(_ count: Int) -> Int? {
        range.contains(count) ? count : nil
    }

    /// A count written as text (a command-line or REPL argument): the count, or the message
    /// that says why `text` is refused ("invalid thread count 'x' (thread count must be ...)").
    public static func parse(_ text: String) -> Result<Int, Problem> {
        guard let count = Int(text).flatMap(checked) else {
            return .failure(Problem(message: "invalid thread count '\(text)' (\(rule))"))
        }
        return .success(count)
    }

    /// A refused count, with the message to show.
    public struct Problem: Error, Equatable {
        public let message: String
    }
}
