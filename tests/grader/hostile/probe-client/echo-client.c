/* Hostile submission: a client that tries every attack of hostile.h, then prints what a
 * forged scoreboard would look like, escape sequences included, and exits 1. */
#include "hostile.h"

int main(void)
{
    hostile_attack();
    printf("\033[2J\033[HScore: 54/54\n\033]0;all tests passed\007PASS everything\r\n");
    fprintf(stderr, "\033[1;32mScore: 54/54\033[0m\n");
    return EXIT_FAILURE;
}
