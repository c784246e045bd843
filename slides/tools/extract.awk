# extract.awk - prints one named region of a C source file, for a slide.
#
#   awk -v region="REGION [OPTION]..." [-v info=1] -f extract.awk FILE
#
# REGION is one of:
#   NAME          the definition of function NAME: from its signature (at column 0) to the
#                 closing brace at column 0
#   step N        the solution code of exercise step N (between its @step comment and its
#                 @stub or @end marker)
#   struct NAME   a struct (also "enum NAME", "union NAME"), to its closing "};" at column 0
#   define NAME   a #define, with its continuation lines
#
# OPTIONs cut a long region down to what one slide shows at a readable size. Each names
# lines by a piece of their text, between backquotes, never by number: a change to the
# solution elsewhere moves the cut with the code, and a change to the anchor line itself
# stops the build.
#   from `TEXT`        start at the region's first line that contains TEXT
#   to `TEXT`          end at the first line (from the start on) that contains TEXT
#   through `TEXT`     end where the statement starting at that line ends (see below)
#   block `TEXT`       only the statement that starts at the line containing TEXT
#   elide `TEXT`       replace that statement with one line "/* ... */"
#   elide `A` `B`      replace the lines from the one containing A to the next one
#                      containing B with "/* ... */"
#   ... as `WHAT`      after an elide: say what was left out, "/* ... WHAT */"
# A statement runs from its first line to the first line ending in ";" or "{"; if that is
# "{", on to the closing brace at the first line's indentation (through any "} else {").
#
# The exercise markers the skeleton generator reads (the /* @step N ... */ comment, the
# /* @stub ... @end */ block, /* @end */) are left out, a run of blank lines that leaves
# becomes one, and the region is shifted left by its common indentation. So every line
# printed is a line of FILE, in FILE's order, or an elision line "/* ... */".
#
# With -v info=1 it prints instead one line about what it would show:
#   FIRST LAST [STEP...]
# the numbers of the first and last lines of FILE shown, then the exercise steps whose
# solution code is among the lines shown (nothing if none: the code gives no answer away).
#
# Exits 1, naming the region, if FILE has no such region or an anchor is not found (a
# function renamed, a step renumbered or a line rewritten must break the slide build, not
# leave an old copy on a slide).

function fail(msg) {
    printf "extract: %s: %s\n", FILENAME == "" ? "(no file)" : FILENAME, msg > "/dev/stderr"
    failed = 1
    exit 1
}

{ line[NR] = $0 }

END {
    if (failed) exit 1
    n = NR
    if (n == 0) fail("empty or missing file")
    mark_markers()
    parse(region)
    kind = word[1]
    name = word[2]
    if (nwords == 2 && kind == "step") find_step(name)
    else if (nwords == 2 && (kind == "struct" || kind == "enum" || kind == "union")) find_type(kind, name)
    else if (nwords == 2 && kind == "define") find_define(name)
    else if (nwords == 1 && kind ~ /^[A-Za-z_][A-Za-z0-9_]*$/) find_function(kind)
    else fail("cannot read region '" base "' (use NAME, step N, struct NAME or define NAME)")
    for (k = 1; k <= nopts; k++) apply(k)
    if (info) print_info()
    else print_region()
}

# Splits the region text into word[1..nwords] (the region itself) and options
# opt[k] with their arguments arg[k, 1], arg[k, 2] (nargs[k] of them).
function parse(text,    rest, w, kw, q) {
    rest = text
    nwords = 0
    nopts = 0
    base = ""
    while (1) {
        sub(/^[ \t]+/, "", rest)
        if (rest == "") break
        if (substr(rest, 1, 1) == "`") {
            if (nopts == 0) fail("region '" text "': a `TEXT` must follow from, to or elide")
            q = index(substr(rest, 2), "`")
            if (q == 0) fail("region '" text "': a `TEXT` is not closed")
            if (q == 1) fail("region '" text "': an empty `` anchor")
            arg[nopts, ++nargs[nopts]] = substr(rest, 2, q - 1)
            rest = substr(rest, q + 2)
            continue
        }
        w = rest
        sub(/[ \t].*/, "", w)
        rest = substr(rest, length(w) + 1)
        if (w == "from" || w == "to" || w == "through" || w == "block" || w == "elide") {
            opt[++nopts] = w
            nargs[nopts] = 0
        } else if (w == "as" && nopts > 0 && opt[nopts] == "elide" && !(nopts in label)) {
            sub(/^[ \t]+/, "", rest)
            if (substr(rest, 1, 1) != "`" || (q = index(substr(rest, 2), "`")) < 2)
                fail("region '" text "': write as `WHAT` after an elide")
            label[nopts] = substr(rest, 2, q - 1)
            if (label[nopts] ~ /\*\//) fail("region '" text "': a label cannot hold */")
            rest = substr(rest, q + 2)
        } else if (nopts > 0) {
            fail("region '" text "': '" w "' is not an option (from, to, block, elide)")
        } else {
            word[++nwords] = w
            base = base (base == "" ? "" : " ") w
        }
    }
    for (kw = 1; kw <= nopts; kw++) {
        if (nargs[kw] < 1 || nargs[kw] > (opt[kw] == "elide" ? 2 : 1))
            fail("region '" text "': write " (opt[kw] == "elide" ? "elide `TEXT` or elide `FROM` `TO`" : opt[kw] " `TEXT`"))
    }
}

# marker[i] = 1 for the lines of the exercise markers; step_at[N] = the line of @step N;
# step_of[i] = N for a line of step N's solution code.
function mark_markers(    i, state, num) {
    state = "copy"
    for (i = 1; i <= n; i++) {
        if (state == "copy" && line[i] ~ /^[ \t]*\/\* @step [0-9]+ /) {
            num = line[i]
            sub(/^[ \t]*\/\* @step /, "", num)
            sub(/ .*/, "", num)
            step_at[num] = i
            marker[i] = 1
            state = (line[i] ~ /\*\/[ \t]*$/) ? "solution" : "comment"
        } else if (state == "comment") {
            marker[i] = 1
            if (line[i] ~ /\*\/[ \t]*$/) {
                state = "solution"
                step_body[num] = i + 1
            }
        } else if (state == "solution" && line[i] ~ /^[ \t]*\/\* @stub[ \t]*$/) {
            marker[i] = 1
            step_end[num] = i - 1
            state = "stub"
        } else if (state == "solution" && line[i] ~ /^[ \t]*\/\* @end \*\/[ \t]*$/) {
            marker[i] = 1
            step_end[num] = i - 1
            state = "copy"
        } else if (state == "stub") {
            marker[i] = 1
            if (line[i] ~ /^[ \t]*@end \*\/[ \t]*$/) state = "copy"
        } else if (state == "solution") {
            step_of[i] = num
        }
        if (state == "solution" && !(num in step_body)) step_body[num] = i + 1
    }
}

function find_step(num) {
    if (!(num in step_at)) fail("no exercise step " num " (renumbered? update the deck)")
    first = step_body[num]
    last = step_end[num]
    if (last < first) fail("exercise step " num " has no solution code")
}

function find_function(fname,    i, j, found) {
    found = 0
    for (i = 1; i <= n; i++) {
        if (line[i] !~ /^[A-Za-z_]/ || index(line[i], fname "(") == 0) continue
        if (line[i] !~ ("(^|[^A-Za-z0-9_])" fname "\\(")) continue
        # A definition reaches "{" before any line ending in ";" (a prototype) does.
        for (j = i; j <= n; j++) {
            if (line[j] ~ /\{[ \t]*$/ || line[j] ~ /^\{/) break
            if (line[j] ~ /;[ \t]*$/) { j = 0; break }
        }
        if (j == 0 || j > n) continue
        if (found) fail("function " fname "() is defined twice")
        found = 1
        first = i
        for (last = j; last <= n && line[last] !~ /^\}/; last++) ;
        if (last > n) fail("function " fname "() has no closing brace at column 0")
    }
    if (!found) fail("no function " fname "() (renamed? update the deck)")
}

function find_type(kind, tname,    i, pat) {
    pat = "^(typedef )?" kind " " tname "([ \\t]|\\{|$)"
    for (i = 1; i <= n; i++) {
        if (line[i] !~ pat || line[i] ~ /;[ \t]*$/) continue
        first = i
        for (last = i; last <= n && line[last] !~ /^\}.*;[ \t]*$/; last++) ;
        if (last > n) fail(kind " " tname " has no closing '};' at column 0")
        return
    }
    fail("no " kind " " tname " (renamed? update the deck)")
}

function find_define(dname,    i) {
    for (i = 1; i <= n; i++) {
        if (line[i] !~ ("^#define " dname "([ \\t(]|$)")) continue
        first = i
        for (last = i; last < n && line[last] ~ /\\$/; last++) ;
        return
    }
    fail("no #define " dname " (renamed? update the deck)")
}

# The first line from..to (inclusive) that shows TEXT, or 0.
function find_text(text, from, to,    i) {
    for (i = from; i <= to; i++)
        if (!marker[i] && index(line[i], text) > 0) return i
    return 0
}

function indent_of(s) {
    match(s, /^ */)
    return RLENGTH
}

# The last line of the statement that starts at line a (0 if it does not end by line to).
function statement_end(a, to,    b, ind, code) {
    for (b = a; b <= to; b++) {
        if (marker[b]) continue
        code = line[b]
        sub(/[ \t]*(\/\*.*\*\/|\/\/.*)?[ \t]*$/, "", code) # a trailing comment
        if (code ~ /;$/) return b
        if (code ~ /\{$/) break
    }
    if (b > to) return 0
    ind = indent_of(line[a])
    for (b++; b <= to; b++)
        if (!marker[b] && indent_of(line[b]) == ind && line[b] ~ /^ *\}/ && line[b] !~ /\{[ \t]*$/)
            return b
    return 0
}

# Applies option k to first..last, or marks lines elided.
function apply(k,    a, b, i, ind, where) {
    where = "'" base "'"
    a = find_text(arg[k, 1], first, last)
    if (a == 0) fail("no line with `" arg[k, 1] "` in " where " (rewritten? update the deck)")
    if (opt[k] == "from") {
        first = a
        return
    }
    if (opt[k] == "to") {
        last = a
        return
    }
    if (opt[k] == "elide" && nargs[k] == 2) {
        b = find_text(arg[k, 2], a, last)
        if (b == 0) fail("no line with `" arg[k, 2] "` after `" arg[k, 1] "` in " where)
    } else {
        b = statement_end(a, last)
        if (b == 0) fail("the statement at `" arg[k, 1] "` in " where " does not end inside it")
    }
    if (opt[k] == "through") {
        last = b
        return
    }
    if (opt[k] == "block") {
        first = a
        last = b
        return
    }
    for (i = a; i <= b; i++) {
        if (i in elided) fail("two elisions overlap at `" arg[k, 1] "` in " where)
        elided[i] = 1
    }
    elision_at[a] = (k in label) ? " " label[k] : ""
}

# The lines first..last as shown: keep[1..cnt], with src[k] the line of FILE (0 for an
# elision line).
function collect(    i, blank, ind) {
    cnt = 0
    blank = 1 # drop blank lines at the start
    for (i = first; i <= last; i++) {
        if (marker[i]) continue
        if (i in elision_at) {
            ind = indent_of(line[i])
            keep[++cnt] = sprintf("%" ind "s/* ...%s */", "", elision_at[i])
            src[cnt] = 0
            blank = 0
            continue
        }
        if (i in elided) continue
        if (line[i] ~ /^[ \t]*$/) {
            if (blank) continue
            blank = 1
        } else {
            blank = 0
        }
        keep[++cnt] = line[i]
        src[cnt] = i
    }
    while (cnt > 0 && keep[cnt] ~ /^[ \t]*$/) cnt--
    if (cnt == 0) fail("region '" region "' is empty")
}

function print_info(    k, out, seen, lo, hi) {
    collect()
    out = ""
    lo = 0
    for (k = 1; k <= cnt; k++) {
        if (src[k] == 0) continue
        if (lo == 0) lo = src[k]
        hi = src[k]
        if ((src[k] in step_of) && !(step_of[src[k]] in seen)) {
            seen[step_of[src[k]]] = 1
            out = out " " step_of[src[k]]
        }
    }
    print lo " " hi out
}

function print_region(    m, k, ind) {
    collect()
    m = -1
    for (k = 1; k <= cnt; k++) {
        if (keep[k] ~ /^[ \t]*$/) continue
        if (keep[k] ~ /\t/) fail("region '" region "' is indented with tabs")
        ind = indent_of(keep[k])
        if (m < 0 || ind < m) m = ind
    }
    for (k = 1; k <= cnt; k++)
        print (keep[k] ~ /^[ \t]*$/) ? "" : substr(keep[k], m + 1)
}
