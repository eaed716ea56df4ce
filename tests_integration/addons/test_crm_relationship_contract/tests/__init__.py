from . import test_contract_document_type
