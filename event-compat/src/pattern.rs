//! A small regular-expression matcher for `pattern` and
//! `patternProperties`: literals, `.`, classes, `\d \w \s`, groups,
//! alternation, anchors and the usual quantifiers. Anything else is
//! unknown (`None`), and callers decide conservatively.

/// Whether `pattern` matches somewhere in `text`, or `None` when the
/// pattern uses syntax this matcher does not know.
pub(crate) fn matches(pattern: &str, text: &str) -> Option<bool> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut parser = Parser {
        chars: &chars,
        at: 0,
    };
    let alt = parser.alternation(0)?;
    if parser.at != chars.len() {
        return None;
    }
    let text: Vec<char> = text.chars().collect();
    let mut budget = 100_000usize;
    let found = (0..=text.len()).any(|start| {
        let mut k = |_: usize, _: &mut usize| true;
        match_alt(&alt, &text, start, &mut budget, &mut k)
    });
    (budget > 0).then_some(found)
}

enum Atom {
    Char(char),
    Any,
    Class(Vec<(char, char)>, bool),
    Group(Vec<Vec<Piece>>),
    Start,
    End,
}

struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

struct Parser<'a> {
    chars: &'a [char],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn alternation(&mut self, depth: usize) -> Option<Vec<Vec<Piece>>> {
        if depth > 32 {
            return None;
        }
        let mut alts = vec![self.sequence(depth)?];
        while self.peek() == Some('|') {
            self.at += 1;
            alts.push(self.sequence(depth)?);
        }
        Some(alts)
    }

    fn sequence(&mut self, depth: usize) -> Option<Vec<Piece>> {
        let mut seq = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            self.at += 1;
            let atom = match c {
                '.' => Atom::Any,
                '^' => Atom::Start,
                '$' => Atom::End,
                '(' => {
                    if self.chars.get(self.at..self.at + 2) == Some(&['?', ':']) {
                        self.at += 2;
                    } else if self.peek() == Some('?') {
                        return None;
                    }
                    let inner = self.alternation(depth + 1)?;
                    if self.peek() != Some(')') {
                        return None;
                    }
                    self.at += 1;
                    Atom::Group(inner)
                }
                '[' => self.class()?,
                '\\' => self.escape()?,
                '*' | '+' | '?' | '{' | ')' | ']' | '}' => return None,
                c => Atom::Char(c),
            };
            let (min, max) = self.quantifier()?;
            seq.push(Piece { atom, min, max });
        }
        Some(seq)
    }

    fn quantifier(&mut self) -> Option<(usize, usize)> {
        let q = match self.peek() {
            Some('*') => (0, usize::MAX),
            Some('+') => (1, usize::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                let close = self.chars[self.at..].iter().position(|c| *c == '}')? + self.at;
                let body: String = self.chars[self.at + 1..close].iter().collect();
                let (lo, hi) = match body.split_once(',') {
                    Some((lo, "")) => (lo.parse().ok()?, usize::MAX),
                    Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
                    None => {
                        let n = body.parse().ok()?;
                        (n, n)
                    }
                };
                self.at = close;
                (lo, hi)
            }
            _ => return Some((1, 1)),
        };
        self.at += 1;
        // A lazy quantifier matches the same strings.
        if self.peek() == Some('?') {
            self.at += 1;
        }
        Some(q)
    }

    fn escape(&mut self) -> Option<Atom> {
        let c = self.peek()?;
        self.at += 1;
        Some(match c {
            'd' => Atom::Class(vec![('0', '9')], false),
            'D' => Atom::Class(vec![('0', '9')], true),
            'w' => Atom::Class(word(), false),
            'W' => Atom::Class(word(), true),
            's' => Atom::Class(space(), false),
            'S' => Atom::Class(space(), true),
            'n' => Atom::Char('\n'),
            't' => Atom::Char('\t'),
            c if c.is_ascii_alphanumeric() => return None,
            c => Atom::Char(c),
        })
    }

    fn class(&mut self) -> Option<Atom> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek()?;
            self.at += 1;
            if c == ']' && !first {
                break;
            }
            first = false;
            let lo = if c == '\\' {
                match self.escape()? {
                    Atom::Char(c) => c,
                    Atom::Class(r, false) => {
                        ranges.extend(r);
                        continue;
                    }
                    _ => return None,
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|c| *c != ']') {
                let hi = self.chars[self.at + 1];
                if hi == '\\' {
                    return None;
                }
                self.at += 2;
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Some(Atom::Class(ranges, negated))
    }
}

fn word() -> Vec<(char, char)> {
    vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')]
}

fn space() -> Vec<(char, char)> {
    vec![(' ', ' '), ('\t', '\r')]
}

type Next<'k> = dyn FnMut(usize, &mut usize) -> bool + 'k;

fn match_alt(
    alts: &[Vec<Piece>],
    text: &[char],
    at: usize,
    budget: &mut usize,
    k: &mut Next,
) -> bool {
    alts.iter().any(|seq| match_seq(seq, text, at, budget, k))
}

fn match_seq(seq: &[Piece], text: &[char], at: usize, budget: &mut usize, k: &mut Next) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((piece, rest)) = seq.split_first() else {
        return k(at, budget);
    };
    match_piece(piece, 0, text, at, budget, &mut |next, budget| {
        match_seq(rest, text, next, budget, k)
    })
}

fn match_piece(
    piece: &Piece,
    count: usize,
    text: &[char],
    at: usize,
    budget: &mut usize,
    k: &mut Next,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    // Greedy: one more first, then stop.
    if count < piece.max {
        let more = match_atom(&piece.atom, text, at, budget, &mut |next, budget| {
            // An empty repetition past the minimum would loop forever.
            (next != at || count < piece.min)
                && match_piece(piece, count + 1, text, next, budget, k)
        });
        if more {
            return true;
        }
    }
    count >= piece.min && k(at, budget)
}

fn match_atom(atom: &Atom, text: &[char], at: usize, budget: &mut usize, k: &mut Next) -> bool {
    match atom {
        Atom::Start => at == 0 && k(at, budget),
        Atom::End => at == text.len() && k(at, budget),
        Atom::Char(c) => text.get(at) == Some(c) && k(at + 1, budget),
        Atom::Any => text.get(at).is_some_and(|c| *c != '\n') && k(at + 1, budget),
        Atom::Class(ranges, negated) => {
            text.get(at)
                .is_some_and(|c| ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated)
                && k(at + 1, budget)
        }
        Atom::Group(alts) => match_alt(alts, text, at, budget, k),
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn matches_the_usual_patterns() {
        assert_eq!(matches("^[a-z]+$", "abc"), Some(true));
        assert_eq!(matches("^[a-z]+$", "abC"), Some(false));
        assert_eq!(matches("^x-", "x-rate"), Some(true));
        assert_eq!(matches("^(foo|bar)_\\d{2,3}$", "bar_123"), Some(true));
        assert_eq!(matches("^(foo|bar)_\\d{2,3}$", "bar_1234"), Some(false));
        assert_eq!(matches("b", "abc"), Some(true));
        assert_eq!(matches("^a.*z$", "abcz"), Some(true));
        assert_eq!(matches("^[^0-9]?$", ""), Some(true));
        assert_eq!(matches("(?=x)", "x"), None);
        assert_eq!(matches("\\p{L}", "x"), None);
        assert_eq!(matches("(a*)*b", &"a".repeat(40)), None);
    }
}
