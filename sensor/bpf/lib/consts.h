/* SPDX-License-Identifier: Apache-2.0 */
/* Kernel constants vmlinux.h does not carry (they are macros). */
#pragma once

#define AT_FDCWD -100
#define AT_REMOVEDIR 0x200
#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define S_IFMT 00170000
#define S_IFSOCK 0140000
