/* Hostile submission: a client that ignores SIGTERM and SIGINT and never exits. */
#include <signal.h>
#include <unistd.h>

int main(void)
{
    (void)signal(SIGTERM, SIG_IGN);
    (void)signal(SIGINT, SIG_IGN);
    for (;;)
        pause();
}
