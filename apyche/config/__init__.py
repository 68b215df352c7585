"""The config language: text -> directive tree -> validated, immutable model.

Stages (each its own module, each testable alone):

* ``reader``   - physical lines to Apache's logical lines (continuations, trim)
* ``grammar``  - the Lark LALR grammar that shapes logical lines into a tree
* ``build``    - ``ap_build_config``: Include, Define/${VAR}, <If*> and
                 LoadModule executed while reading (Apache's EXEC_ON_READ)
* ``registry`` - the declarative directive table and ``invoke`` (argument
                 forms, contexts, override classes), as ``invoke_cmd`` does
* ``walk``     - ``ap_walk_config``: validate the tree into ``model`` objects

Nothing here knows about sockets or requests.
"""
