# Function-completion prompts (signature + docstring + examples, no instruction), written by hand,
# and long technical questions in the style of hard user prompts.
FUNCS = [
'''from typing import List


def longest_plateau(values: List[int]) -> int:
    """Return the length of the longest run of equal adjacent values.
    >>> longest_plateau([1, 2, 2, 2, 3, 3])
    3
    >>> longest_plateau([])
    0
    """
''',
'''def is_balanced(expr: str) -> bool:
    """Check whether every bracket in expr ((), [], {}) is closed in the right order.
    Characters that are not brackets are ignored.
    >>> is_balanced("a(b[c]{d})")
    True
    >>> is_balanced("(]")
    False
    """
''',
'''from typing import List, Tuple


def merge_ranges(ranges: List[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """Merge overlapping closed ranges and return them sorted by start.
    >>> merge_ranges([(5, 8), (1, 3), (2, 4)])
    [(1, 4), (5, 8)]
    """
''',
'''def spiral_order(matrix):
    """Return the elements of a rectangular matrix in clockwise spiral order,
    starting at the top-left corner.
    >>> spiral_order([[1, 2, 3], [4, 5, 6]])
    [1, 2, 3, 6, 5, 4]
    """
''',
'''def count_change(amount: int, coins: list) -> int:
    """Number of distinct ways to make `amount` from unlimited coins of the given values.
    >>> count_change(5, [1, 2, 5])
    4
    """
''',
'''def next_palindrome(n: int) -> int:
    """Return the smallest palindromic integer strictly greater than n.
    >>> next_palindrome(99)
    101
    >>> next_palindrome(1234)
    1331
    """
''',
'''/**
 * Returns the k-th smallest element of two sorted arrays in O(log(m + n)).
 * kthOfTwo([1, 3, 5], [2, 4, 6], 4) === 4
 */
function kthOfTwo(a, b, k) {
''',
'''/// Decode a run-length encoded string like "3a2b" into "aaabb".
/// Returns None when the input is malformed (a count without a letter, zero counts).
fn rle_decode(s: &str) -> Option<String> {
''',
'''def roman_to_int(s: str) -> int:
    """Convert a Roman numeral (I, V, X, L, C, D, M, with subtractive pairs) to an integer.
    >>> roman_to_int("MCMXCIV")
    1994
    """
''',
'''def word_ladder(begin: str, end: str, words: list) -> int:
    """Length of the shortest transformation sequence from begin to end changing one letter at a
    time, every intermediate word in `words`. Return 0 when impossible.
    """
''',
'''def 최대_연속_합(nums):
    """정수 리스트에서 연속된 부분 배열의 최대 합을 반환한다.
    >>> 최대_연속_합([-2, 1, -3, 4, -1, 2, 1, -5, 4])
    6
    """
''',
'''def 区間の重なり(intervals):
    """区間のリストを受け取り、同時に重なっている区間の最大数を返す。
    >>> 区間の重なり([(1, 4), (2, 5), (7, 9)])
    2
    """
''',
]

# Short code questions that are chat (look-ups), for contrast.
CODE_LOOKUPS = [
    "```python\nfrom typing import List\n```\nWhat does this import do?",
    "What is the difference between `==` and `is` in Python, in one line?",
    "def greet(name):\n    return f\"Hello, {name}\"\n\nWhat does this print for greet('Ann')?",
    "How do I write a docstring for a Python function? Short example please.",
    "What's the keyword for a constant in Rust?",
    "Is `let` block-scoped in JavaScript?",
]

HARD_TECH = [
    "I run a Kubernetes cluster where pods of one deployment get OOMKilled only at night, even though memory limits are generous and daytime traffic is higher. What could cause this, how would you investigate each hypothesis, and what would you change?",
    "I'm building a multiplayer game server in Go. Players send inputs at 60 Hz and I need authoritative physics with lag compensation. Describe the architecture, the tick loop, reconciliation on the client and how to handle packet loss.",
    "Our Postgres query went from 50 ms to 8 s after a data import, with the same plan shape but a different join order. Walk me through diagnosing it and the fixes you'd try, in order.",
    "Write a Python script that reads a large CSV of transactions in streaming fashion, detects duplicate payments within a 10-minute window per customer, and outputs a report; explain the memory usage.",
    "Explain how you would design end-to-end encryption for a group chat app where members join and leave, including key rotation and what the server can and cannot see.",
]
