#include "ccodecs.h"
#include "internal.h"

#include <stdlib.h>
#include <string.h>

void ccodecs_free(void *pointer) {
    free(pointer);
}

void ccodecs_set_message(char *message, const char *text) {
    size_t length = strlen(text);
    if (length >= CCODECS_MESSAGE_LENGTH) length = CCODECS_MESSAGE_LENGTH - 1;
    memcpy(message, text, length);
    message[length] = '\0';
}
