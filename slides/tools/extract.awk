# extract.awk - prints one named region of a C source file, for a slide.
#
#   awk -v region=REGION [-v steps=1] -f extract.awk FILE
#
# REGION is one of:
#   NAME          the definition of function NAME: from its signature (at column 0) to the
#                 closing brace at column 0
#   step N        the solution code of exercise step N (between its @step comment and its
#                 @stub or @end marker)
#   struct NAME   a struct (also "enum NAME", "union NAME"), to its closing "};" at column 0
#   define NAME   a #define, with its continuation lines
#
# The exercise markers the skeleton generator reads (the /* @step N ... */ comment, the
# /* @stub ... @end */ block, /* @end */) are left out, a run of blank lines that leaves
# becomes one, and the region is shifted left by its common indentation. So every line
# printed is a line of FILE, in FILE's order. With -v steps=1 it prints instead the numbers
# of the exercise steps inside the region ("3" or "2 3"), or nothing.
#
# Exits 1, naming the region, if FILE has no such region (a function renamed or a step
# renumbered must break the slide build, not leave an old copy on a slide).

function fail(msg) {
    printf "extract: %s: %s\n", FILENAME == "" ? file : FILENAME, msg > "/dev/stderr"
    failed = 1
    exit 1
}

{ line[NR] = $0 }

END {
    if (failed) exit 1
    n = NR
    if (n == 0) fail("empty or missing file")
    mark_markers()
    split(region, word, " ")
    kind = word[1]
    name = word[2]
    if (kind == "step") find_step(name)
    else if (kind == "struct" || kind == "enum" || kind == "union") find_type(kind, name)
    else if (kind == "define") find_define(name)
    else if (word[2] == "" && kind ~ /^[A-Za-z_][A-Za-z0-9_]*$/) find_function(kind)
    else fail("cannot read region '" region "' (use NAME, step N, struct NAME or define NAME)")
    if (steps && kind == "step") print name
    else if (steps) print_steps()
    else print_region()
}

# marker[i] = 1 for the lines of the exercise markers; step_at[N] = the line of @step N.
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

function print_steps(    num, out, i) {
    out = ""
    for (i = first; i <= last; i++)
        for (num in step_at)
            if (step_at[num] == i) out = out (out == "" ? "" : " ") num
    if (out != "") print out
}

function print_region(    i, m, k, ind, blank, cnt) {
    cnt = 0
    blank = 1 # drop blank lines at the start
    for (i = first; i <= last; i++) {
        if (marker[i]) continue
        if (line[i] ~ /^[ \t]*$/) {
            if (blank) continue
            blank = 1
        } else {
            blank = 0
        }
        keep[++cnt] = line[i]
    }
    while (cnt > 0 && keep[cnt] ~ /^[ \t]*$/) cnt--
    if (cnt == 0) fail("region '" region "' is empty")
    m = -1
    for (k = 1; k <= cnt; k++) {
        if (keep[k] ~ /^[ \t]*$/) continue
        if (keep[k] ~ /\t/) fail("region '" region "' is indented with tabs")
        match(keep[k], /^ */)
        ind = RLENGTH
        if (m < 0 || ind < m) m = ind
    }
    for (k = 1; k <= cnt; k++)
        print (keep[k] ~ /^[ \t]*$/) ? "" : substr(keep[k], m + 1)
}
