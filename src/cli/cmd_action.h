/*
 * The pptap commands built on the SOAR actions: action and case, and what
 * they share with any other front door of the actions (the store, the
 * client, the environment an action runs in).
 */
#ifndef PPTAP_CLI_CMD_ACTION_H
#define PPTAP_CLI_CMD_ACTION_H

#include <stdio.h>

#include "actions.h"

int cmd_action(int argc, char **argv);
void cmd_action_usage(FILE *out);

int cmd_case(int argc, char **argv);
void cmd_case_usage(FILE *out);

/* The store that holds cases: `flag` (--state PATH) when given, else
 * $PPTAP_STATE, else the --ledger store ($PPTAP_LEDGER); NULL when none. */
const char *cli_state_path(const char *flag);

/* Opens the store at `path` read-write for cases (created, mode 0600, when
 * missing), with $PPTAP_NOW as its clock when set. On failure prints why
 * and returns the exit status. */
int cli_case_store_open(pptap_store **out, const char *path);

/* Sets up what actions use: the store at `state` (NULL: none) whose request
 * ledger then also records the API requests, the tenant (--tenant), and the
 * API client when credentials or a base URL are configured (otherwise
 * env->client is NULL and env->client_error says why; actions that need it
 * fail with that reason). Returns 0, or an exit status after printing why. */
int cli_actions_env_open(actions_env *env, const char *state);

/* Releases what cli_actions_env_open() set up. Accepts a zeroed env. */
void cli_actions_env_close(actions_env *env);

#endif
