"""NXT-Create: staff tag a CRM contact `NXT-Create` and AX Connect creates (or links) the
patient in Nextech, then answers on the contact with a tag, the NXT Patient ID and a note.

validate.py is pure (contact -> draft + problems); rules.py loads the practice's choices;
service.py runs one request; crm.py writes its outcome to the CRM; reconcile.py finds
what a lost webhook or a crash left behind.
"""

TAG_CREATE = "NXT-Create"
TAG_CREATED = "NXT-Created"
TAG_ERROR = "NXT-Create-Error"
