"""Search and the omnibox on employees' own words, beside the peers a team would otherwise
pick (`guichet eval search --set real`)."""
