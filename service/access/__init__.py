"""Who may see what (``rule``: principal tokens; ``queries``: the rule applied to the database) and who may do what
(``policy``: ``may(actor, action, target)``). Every read and every act of every concept asks here."""
