/* Hostile submission: the whole server is the kit's own reference solution, pulled in by
 * an #include of its absolute path (the self-test writes in its copy of the kit for
 * @KIT@, as a student who knows where the grader keeps the kit would). Inside the
 * grader's sandbox the file is not there, so it cannot compile. */
#include "@KIT@/solutions/01-echo/echo-server.c"
