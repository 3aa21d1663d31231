"""A queue checker in the spirit of Jepsen's: what was acknowledged must arrive, once, in order.

Senders record each message the server acknowledged (got a `reply` for); receivers record each
`message:received` they got, per connection. The checker reports, per recipient:
- lost: acknowledged, never received;
- duplicated: received more than once by one recipient session;
- unexpected: received, never acknowledged to any sender (and not a send whose reply was lost
  in a fault: those are "maybe" messages, allowed either way);
- out of order: received after a later message of the same sender.

Edits and deletions of acknowledged messages are checked the same way, as changes labelled
`<tag>:edit:<content>` and `<tag>:delete`: each acknowledged change must reach the recipient
once, after the message itself, and a message's edits in the order they were made.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass
class Report:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    out_of_order: list[str] = field(default_factory=list)
    delivered: int = 0

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.out_of_order)

    def __str__(self) -> str:
        return (
            f"delivered={self.delivered} lost={len(self.lost)} duplicated={len(self.duplicated)} "
            f"unexpected={len(self.unexpected)} out_of_order={len(self.out_of_order)} "
            f"examples={(self.lost + self.duplicated + self.unexpected + self.out_of_order)[:5]}"
        )


@dataclass
class QueueChecker:
    # recipient id -> message ids acknowledged to their senders, in send order per sender
    acknowledged: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    maybe: set[str] = field(default_factory=set)  # content tags whose reply was lost in a fault
    # recipient id -> received (sender id, content tag) in arrival order
    received: dict[str, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    # recipient id -> change labels acknowledged to the sender, in the order made
    changes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # recipient id -> message tags and change labels as they arrived
    arrivals: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def sent(self, sender: str, recipient: str, tag: str) -> None:
        self.acknowledged[recipient].append((sender, tag))

    def unknown(self, tag: str) -> None:
        self.maybe.add(tag)

    def got(self, recipient: str, sender: str, tag: str) -> None:
        self.received[recipient].append((sender, tag))
        self.arrivals[recipient].append(tag)

    def changed(self, recipient: str, label: str) -> None:
        self.changes[recipient].append(label)

    def got_change(self, recipient: str, label: str) -> None:
        self.arrivals[recipient].append(label)

    def report(self) -> Report:
        report = Report()
        for recipient in set(self.acknowledged) | set(self.received):
            expected = self.acknowledged.get(recipient, [])
            got = self.received.get(recipient, [])
            counts = Counter(tag for _, tag in got)
            report.delivered += len(counts)
            report.duplicated += [tag for tag, n in counts.items() if n > 1]
            expected_tags = {tag for _, tag in expected}
            report.lost += [tag for tag in expected_tags if tag not in counts]
            report.unexpected += [
                t for t in counts if t not in expected_tags and t not in self.maybe
            ]
            position = {tag: index for index, (_, tag) in enumerate(expected)}
            last_seen: dict[str, int] = {}
            checked: set[str] = set()  # a duplicate is reported as such, not as reordered too
            for sender, tag in got:
                index = position.get(tag)
                if index is None or tag in checked:
                    continue
                checked.add(tag)
                if index < last_seen.get(sender, -1):
                    report.out_of_order.append(tag)
                last_seen[sender] = max(index, last_seen.get(sender, -1))
        for recipient in set(self.changes) | set(self.arrivals):
            self._check_changes(recipient, report)
        return report

    def _check_changes(self, recipient: str, report: Report) -> None:
        made = self.changes.get(recipient, [])
        arrived = self.arrivals.get(recipient, [])
        got = [label for label in arrived if ":" in label]
        counts = Counter(got)
        report.lost += [label for label in made if label not in counts]
        report.duplicated += [label for label, n in counts.items() if n > 1]
        report.unexpected += [
            label for label in counts if label not in made and label not in self.maybe
        ]
        order = {label: index for index, label in enumerate(made)}
        first = {label: index for index, label in reversed(list(enumerate(arrived)))}
        last_of_message: dict[str, int] = {}
        for label in dict.fromkeys(got):
            if label not in order and label not in self.maybe:
                continue  # unexpected: reported as such
            tag = label.split(":", 1)[0]
            if first.get(tag, len(arrived)) > first[label]:  # before the message itself
                report.out_of_order.append(label)
            index = order.get(label)
            if index is not None and index < last_of_message.get(tag, -1):
                report.out_of_order.append(label)
            last_of_message[tag] = max(index or -1, last_of_message.get(tag, -1))
