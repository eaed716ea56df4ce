{
    "name": "Customer Relationship - Test Document Type",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "summary": "A made-up document type (service contracts) declared through the customer document registry",
    "author": "crm_relationship contributors",
    "license": "LGPL-3",
    "depends": ["crm_relationship"],
    "data": [
        "security/ir.model.access.csv",
        "security/test_crm_relationship_contract_security.xml",
    ],
    "installable": True,
}
