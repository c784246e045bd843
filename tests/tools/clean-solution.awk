# clean-solution.awk - turns a solution source file into the clean copy a teacher hands out:
# the reference code as a student reads it after the lab, without the generator's markup.
#
# Of each exercise step (see skeleton.awk for the markers) it keeps the solution's code and
# the first part of the step's comment, what the step does, as "/* Step N: ... */"; the
# comment's "Hint:" paragraph (advice for the student still writing it) and the @stub block
# (the skeleton's placeholder) go. Everything outside the markers is copied unchanged, so
# every line of code printed is a line of the solution, in its order.
BEGIN { state = "copy" }

# Prints the kept lines of a step comment, closing the comment on the last one.
function flush_comment(    i) {
    for (i = 1; i < kept; i++) print keep[i]
    line = keep[kept]
    if (line !~ /\*\/[ \t]*$/) line = line " */"
    print line
    kept = 0
}

state == "copy" && /^[ \t]*\/\* @step [0-9]+ / {
    at = index($0, "@step ")
    kept = 1
    rest = substr($0, at + 6)        # "3 What the step does..."
    space = index(rest, " ")
    keep[1] = substr($0, 1, at - 1) "Step " substr(rest, 1, space - 1) ":" substr(rest, space)
    if ($0 ~ /\*\/[ \t]*$/) { flush_comment(); state = "solution" } else state = "comment"
    next
}
state == "comment" && /^[ \t]*\* Hint:/ { flush_comment(); state = ($0 ~ /\*\/[ \t]*$/) ? "solution" : "hint"; next }
state == "comment" {
    keep[++kept] = $0
    if ($0 ~ /\*\/[ \t]*$/) { flush_comment(); state = "solution" }
    next
}
state == "hint" { if ($0 ~ /\*\/[ \t]*$/) state = "solution"; next }
state == "solution" && /^[ \t]*\/\* @stub[ \t]*$/ { state = "stub"; next }
state == "solution" && /^[ \t]*\/\* @end \*\/[ \t]*$/ { state = "copy"; next }
state == "solution" { print; next }
state == "stub" && /^[ \t]*@end \*\/[ \t]*$/ { state = "copy"; next }
state == "stub" { next }
{ print }
END {
    if (state != "copy") {
        printf "%s: a @step region is not closed\n", FILENAME > "/dev/stderr"
        exit 1
    }
}
