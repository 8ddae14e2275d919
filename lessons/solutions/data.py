"""Solutions to the data lesson's exercise."""


def hold_out(train, dev):
    english = {p.english for p in train}
    translations = {(p.lang, p.translation) for p in train}
    return [p for p in dev if p.english not in english and (p.lang, p.translation) not in translations]
