"""Foundations every family stands on: the settings, the typed values that flow between steps,
the kinds of error and their exit codes, the writes into PPID storage, the shapes of what is
stored, and a folder of work in progress with a state of its own. Nothing here imports another
package of ours."""
