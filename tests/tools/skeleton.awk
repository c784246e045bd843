# skeleton.awk - turns a solution source file into a student skeleton.
#
# A solution marks each exercise step like this:
#
#     /* @step 3 What to do, in one line.
#      * Hint: how to do it, and the mistake to avoid. */
#     ...the solution's code...
#     /* @stub
#     ...code the skeleton has instead, so it compiles and runs...
#     @end */
#
# (or "/* @end */" instead of the @stub block when the skeleton needs no code there).
# The skeleton keeps the comment, renamed "TODO 3: ...", drops the solution's code and
# uncomments the stub. Everything outside the markers is copied unchanged.
#
# With -v only=N, only step N becomes a TODO: every other step keeps its solution code (its
# markers and stub dropped). The TODO check (tests/checks/todos) grades such a solution
# with one TODO undone, to prove the tests see every TODO.
BEGIN { state = "copy" }

state != "copy" && /^[ \t]*\/\* @step [0-9]+ / {
    printf "%s:%d: a @step region is not closed before the next one starts\n", FILENAME, FNR > "/dev/stderr"
    failed = 1
    exit 1
}

state == "copy" && /^[ \t]*\/\* @step [0-9]+ / {
    at = index($0, "@step ")
    rest = substr($0, at + 6)
    space = index(rest, " ")
    if (only != "" && substr(rest, 1, space - 1) != only) {
        state = ($0 ~ /\*\/[ \t]*$/) ? "keep" : "keep-comment"
        next
    }
    print substr($0, 1, at - 1) "TODO " substr(rest, 1, space - 1) ": " substr(rest, space + 1)
    state = ($0 ~ /\*\/[ \t]*$/) ? "solution" : "comment"
    next
}
state == "comment" { print; if ($0 ~ /\*\/[ \t]*$/) state = "solution"; next }
state == "keep-comment" { if ($0 ~ /\*\/[ \t]*$/) state = "keep"; next }
state == "keep" && /^[ \t]*\/\* @stub[ \t]*$/ { state = "keep-stub"; next }
state == "keep" && /^[ \t]*\/\* @end \*\/[ \t]*$/ { state = "copy"; next }
state == "keep" { print; next }
state == "keep-stub" && /^[ \t]*@end \*\/[ \t]*$/ { state = "copy"; next }
state == "keep-stub" { next }
state == "solution" && /^[ \t]*\/\* @stub[ \t]*$/ { state = "stub"; next }
state == "solution" && /^[ \t]*\/\* @end \*\/[ \t]*$/ { state = "copy"; next }
state == "solution" { next }
state == "stub" && /^[ \t]*@end \*\/[ \t]*$/ { state = "copy"; next }
state == "stub" { print; next }
/@step|@stub|@end \*\// {
    printf "%s:%d: marker outside a step region: %s\n", FILENAME, FNR, $0 > "/dev/stderr"
    failed = 1
}
{ print }
END {
    if (failed) exit 1
    if (state != "copy") {
        printf "%s: a @step region is not closed\n", FILENAME > "/dev/stderr"
        exit 1
    }
    if (failed) exit 1
}
