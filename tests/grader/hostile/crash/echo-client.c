/* Hostile submission: a client that aborts at once. */
#include <stdlib.h>

int main(void)
{
    abort();
}
