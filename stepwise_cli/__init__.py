"""`stepwise`: the command line for automation designers and operators (docs/cli.md).

Offline commands (`definitions validate`, `rules test`) use the same validator and rules library as the
API; the others talk to a running API over HTTP with an API key or a token.
"""
