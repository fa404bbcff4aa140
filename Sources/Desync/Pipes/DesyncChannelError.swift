/// Why a ``DesyncChannel`` refused an item.
public enum DesyncChannelError: Error, Sendable, Equatable {
    /// The channel was closed before the item could be sent; the item was not sent.
    case closed
}

/// What a timed receive on a ``DesyncChannel`` got.
public enum DesyncReceiveResult<Element> {
    /// The next item.
    case item(Element)
    /// The channel is closed and every item sent has been received: there will be no more.
    case closed
    /// The time ran out with the channel open and empty.
    case timeout
}

extension DesyncReceiveResult: Sendable where Element: Sendable {}
extension DesyncReceiveResult: Equatable where Element: Equatable {}
